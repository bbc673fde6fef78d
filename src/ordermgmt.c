/*
 * ordermgmt.c
 *		Module entry point: the ordermgmt.notify setting and each layer's
 *		set-up (caches, outbox callbacks, the background worker).
 */
#include "api/api.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

static const struct config_enum_entry notify_mode_options[] = {
	{"off", OM_NOTIFY_OFF, false},
	{"immediate", OM_NOTIFY_IMMEDIATE, false},
	{"relay", OM_NOTIFY_RELAY, false},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	/* relay is the default where the background worker runs to do it. */
	bool		preloaded = process_shared_preload_libraries_in_progress;

	DefineCustomEnumVariable("ordermgmt.notify",
							 "How committed events reach LISTEN clients.",
							 "immediate sends NOTIFY from the writing transaction at commit; "
							 "relay leaves it to the background worker, in batches; off sends none.",
							 &om_notify_mode,
							 preloaded ? OM_NOTIFY_RELAY : OM_NOTIFY_IMMEDIATE,
							 notify_mode_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	if (preloaded)
		om_worker_init();

	MarkGUCPrefixReserved("ordermgmt");

	om_events_init();
	om_cache_init();
}
