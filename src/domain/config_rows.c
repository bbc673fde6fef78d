/*
 * config_rows.c
 *		Configuration tables seeded by the extension script (rules,
 *		transitions, accounts, posting map) and pg_dump.
 *
 * pg_dump writes the rows of these tables, and pg_restore loads them after
 * CREATE EXTENSION has seeded the defaults again: a plain INSERT would then
 * fail on the seeded keys and the user's changes would be lost.  This
 * trigger turns the INSERT of an existing key into an UPDATE of that row,
 * so a restore (or an admin re-inserting a row) keeps what the user set.
 *
 * Trigger arguments: the key column names.
 */
#include "domain/domain.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/*
 * The INSERT of the row trigdata carries into a table keyed by the
 * trigger's arguments: NULL when an existing row took its values (skip
 * the insert), else the row to insert.
 */
HeapTuple
om_config_merge(TriggerData *trigdata)
{
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tuple;
	StringInfoData sql;
	Datum	   *values;
	char	   *nulls;
	Oid		   *types;
	int			natts;
	int			nparams = 0;
	int			i;
	int			k;
	bool		first = true;

	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs < 1)
		elog(ERROR, "config_merge needs the key column names as arguments");

	rel = trigdata->tg_relation;
	desc = rel->rd_att;
	tuple = trigdata->tg_trigtuple;
	natts = desc->natts;
	values = palloc(natts * sizeof(Datum));
	nulls = palloc(natts * sizeof(char));
	types = palloc(natts * sizeof(Oid));

	/* UPDATE t SET (non-key columns) = ($n...) WHERE key = $m ... */
	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s.%s SET ",
					 quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
					 quote_identifier(RelationGetRelationName(rel)));
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		bool		is_key = false;
		bool		isnull;

		if (att->attisdropped || att->attgenerated)
			continue;
		for (k = 0; k < trigger->tgnargs; k++)
			if (strcmp(trigger->tgargs[k], name) == 0)
				is_key = true;
		if (is_key || att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			continue;
		values[nparams] = heap_getattr(tuple, i + 1, desc, &isnull);
		nulls[nparams] = isnull ? 'n' : ' ';
		types[nparams] = att->atttypid;
		nparams++;
		appendStringInfo(&sql, "%s%s = $%d", first ? "" : ", ", quote_identifier(name), nparams);
		first = false;
	}
	if (first)
		return tuple;			/* nothing but keys: let the INSERT decide */

	for (k = 0; k < trigger->tgnargs; k++)
	{
		int			attnum = SPI_fnumber(desc, trigger->tgargs[k]);
		bool		isnull;

		if (attnum <= 0)
			elog(ERROR, "config_merge: no column \"%s\"", trigger->tgargs[k]);
		values[nparams] = heap_getattr(tuple, attnum, desc, &isnull);
		nulls[nparams] = isnull ? 'n' : ' ';
		types[nparams] = TupleDescAttr(desc, attnum - 1)->atttypid;
		nparams++;
		appendStringInfo(&sql, " %s %s = $%d", k == 0 ? "WHERE" : "AND",
						 quote_identifier(trigger->tgargs[k]), nparams);
	}

	SPI_connect();
	if (SPI_execute_with_args(sql.data, nparams, types, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "config_merge: update failed");
	if (SPI_processed > 0)
		tuple = NULL;			/* merged into the existing row */
	SPI_finish();
	return tuple;
}

/* Built-in configuration rows are disabled or changed, never deleted. */
void
om_refuse_builtin_delete(const char *table)
{
	ereport(ERROR,
			(errcode(ERRCODE_RESTRICT_VIOLATION),
			 errmsg("built-in rows of %s cannot be deleted", table),
			 errhint("%s", strcmp(table, "accounts") == 0 || strcmp(table, "posting_accounts") == 0
					 ? "Change the row instead." : "Set enabled = false instead.")));
}
