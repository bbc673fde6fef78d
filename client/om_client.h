/*-------------------------------------------------------------------------
 *
 * om_client.h
 *		What the command-line clients (ordermgmt-listen, ordermgmt-notify)
 *		share: messages, signals and waiting, connecting and querying with
 *		reconnects (om_client.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OM_CLIENT_H
#define OM_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libpq-fe.h"

#ifndef OM_VERSION
#define OM_VERSION "unknown"
#endif

/* Exit status, the same for every client (docs/ordermgmt-listen.md). */
#define EXIT_STOPPED	0		/* SIGINT or SIGTERM; --help, --version; done */
#define EXIT_RUNTIME	1		/* cannot write the output or the state file */
#define EXIT_CONNECT	2		/* bad connection string, no connection at start */
#define EXIT_SERVER		3		/* the server refuses our queries for good */
#define EXIT_USAGE		64		/* bad command line (EX_USAGE) */

#define BACKOFF_MIN_MS	500		/* reconnect delays: 0.5 s doubling to 30 s */
#define BACKOFF_MAX_MS	30000
#define CONNECT_TIMEOUT_MS 30000	/* unless connect_timeout says otherwise */

#ifdef __GNUC__
#define ATTRIBUTE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ATTRIBUTE_NORETURN __attribute__((noreturn))
#else
#define ATTRIBUTE_PRINTF(f, a)
#define ATTRIBUTE_NORETURN
#endif

extern const char *progname;	/* set by main, first thing */
extern char lost_reason[512];	/* why the last connection failed or ended */
extern volatile sig_atomic_t stop_requested;	/* SIGINT or SIGTERM came */
extern void (*wait_hook) (void);	/* run after every wait (reap children) */

/* Messages */
extern void info(const char *fmt,...) ATTRIBUTE_PRINTF(1, 2);
extern void die(int code, const char *fmt,...) ATTRIBUTE_PRINTF(2, 3) ATTRIBUTE_NORETURN;
extern void note_lost(const char *msg);
extern void note_connection_lost(PGconn *conn);
extern int64_t now_ms(void);

/* Signals and waiting */
extern void setup_signals(void);
extern bool wait_for(int fd, short events, int timeout_ms);
extern void sleep_ms(int ms);

/* Connection and queries */
extern void check_connstr(const char *dbname);
extern PGconn *connect_db(const char *dbname);
extern PGresult *query(PGconn *conn, const char *sql, int nparams, const char *const *params);

/* Command line */
extern void *xmalloc(size_t size);
extern char *xstrdup(const char *s);
extern long long parse_number(const char *s, long long max);

#endif							/* OM_CLIENT_H */
