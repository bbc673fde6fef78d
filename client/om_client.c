/*-------------------------------------------------------------------------
 *
 * om_client.c
 *		What the command-line clients share: messages, signals and waiting,
 *		the connection with its timeout, and queries that tell a lost
 *		connection (reconnect) from an error that would come again (exit).
 *
 * All waiting happens in wait_for(), on a socket and on a pipe that the
 * signal handlers write to, so SIGINT and SIGTERM end every wait at once.
 *
 *-------------------------------------------------------------------------
 */
#include "om_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *progname = "ordermgmt";
char		lost_reason[512];	/* why the last connection failed or ended */
volatile sig_atomic_t stop_requested = 0;
void		(*wait_hook) (void) = NULL;

static char server_fatal[512];	/* a FATAL the server sent while we were idle */
static int	wakeup_pipe[2] = {-1, -1};

/* ---------------------------------------------------------------------- */
/* Messages                                                                */
/* ---------------------------------------------------------------------- */

void
info(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
die(int code, const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Copy the first line of msg into buf. */
static void
first_line(char *buf, size_t size, const char *msg)
{
	size_t		n = strcspn(msg, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, size, "unknown error");
}

/* msg without a leading "FATAL:" or "ERROR:" and the spaces after it. */
static const char *
skip_severity(const char *msg)
{
	if (strncmp(msg, "FATAL:", 6) == 0 || strncmp(msg, "ERROR:", 6) == 0)
		for (msg += 6; *msg == ' '; msg++)
			;
	return msg;
}

/* Keep the first line of a message as the reason of a failure. */
void
note_lost(const char *msg)
{
	first_line(lost_reason, sizeof(lost_reason), skip_severity(msg));
}

/*
 * The connection is gone: the reason is what the server said before it
 * closed the connection (on shutdown, "terminating connection due to
 * administrator command"), else what libpq says.
 */
void
note_connection_lost(PGconn *conn)
{
	if (server_fatal[0] != '\0')
		note_lost(server_fatal);
	else
		note_lost(PQerrorMessage(conn));
}

/*
 * Server messages outside a query.  A FATAL one announces the end of the
 * connection and becomes its reason; anything else goes to stderr.
 */
static void
notice_processor(void *arg, const char *message)
{
	(void) arg;
	if (strncmp(message, "FATAL:", 6) == 0)
		first_line(server_fatal, sizeof(server_fatal), skip_severity(message));
	else
		fprintf(stderr, "%s: server: %s", progname, message);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------- */
/* Signals and waiting                                                     */
/* ---------------------------------------------------------------------- */

static void
signal_handler(int signo)
{
	int			save_errno = errno;
	ssize_t		rc;

	if (signo == SIGINT || signo == SIGTERM)
		stop_requested = 1;
	rc = write(wakeup_pipe[1], "", 1);	/* a full pipe wakes us anyway */
	(void) rc;
	errno = save_errno;
}

void
setup_signals(void)
{
	struct sigaction sa;
	int			i;

	if (pipe(wakeup_pipe) != 0)
		die(EXIT_RUNTIME, "could not create pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++)
	{
		fcntl(wakeup_pipe[i], F_SETFL, fcntl(wakeup_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(wakeup_pipe[i], F_SETFD, FD_CLOEXEC);
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = signal_handler;
	sa.sa_flags = SA_RESTART;	/* the pipe wakes the waits, not EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	/* A closed output is reported as a write error, not a silent death. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Wait until fd (unless -1) is ready for events, a signal arrives, or
 * timeout_ms passes (-1: no limit).  Returns true when fd is ready.
 */
bool
wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd pfd[2];
	int			n = 1;
	char		drain[64];

	pfd[0].fd = wakeup_pipe[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	if (fd >= 0)
	{
		pfd[1].fd = fd;
		pfd[1].events = events;
		pfd[1].revents = 0;
		n = 2;
	}
	if (!stop_requested && poll(pfd, n, timeout_ms) < 0 && errno != EINTR)
		die(EXIT_RUNTIME, "poll failed: %s", strerror(errno));
	if (pfd[0].revents & POLLIN)
		while (read(wakeup_pipe[0], drain, sizeof(drain)) > 0)
			;
	if (wait_hook)
		wait_hook();
	return n == 2 && (pfd[1].revents & (events | POLLERR | POLLHUP | POLLNVAL)) != 0;
}

/* Sleep for ms milliseconds, or until a stop is requested. */
void
sleep_ms(int ms)
{
	int64_t		end = now_ms() + ms;
	int64_t		left;

	while (!stop_requested && (left = end - now_ms()) > 0)
		(void) wait_for(-1, 0, (int) left);
}

/* ---------------------------------------------------------------------- */
/* Connection and queries                                                  */
/* ---------------------------------------------------------------------- */

static int
connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *options = PQconninfo(conn);
	PQconninfoOption *o;
	int			ms = CONNECT_TIMEOUT_MS;

	for (o = options; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && atoi(o->val) > 0)
			ms = (atoi(o->val) < 2 ? 2 : atoi(o->val)) * 1000;	/* as libpq */
	PQconninfoFree(options);
	return ms;
}

/*
 * Open a connection without blocking the signals' effect.  Returns NULL
 * (with lost_reason set) if it fails, or if a stop was requested.
 */
PGconn *
connect_db(const char *dbname)
{
	const char *keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {dbname, progname, NULL};
	PGconn	   *conn;
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;
	int64_t		deadline;

	conn = PQconnectStartParams(keywords, values, 1);
	if (conn == NULL)
		die(EXIT_RUNTIME, "out of memory");
	deadline = now_ms() + connect_timeout_ms(conn);
	while (status != PGRES_POLLING_OK)
	{
		int64_t		left = deadline - now_ms();

		if (PQstatus(conn) == CONNECTION_BAD || status == PGRES_POLLING_FAILED)
		{
			note_lost(PQerrorMessage(conn));
			PQfinish(conn);
			return NULL;
		}
		if (stop_requested || left <= 0)
		{
			note_lost("timeout expired");
			PQfinish(conn);
			return NULL;
		}
		if (wait_for(PQsocket(conn),
					 status == PGRES_POLLING_READING ? POLLIN : POLLOUT, (int) left))
			status = PQconnectPoll(conn);
	}
	server_fatal[0] = '\0';
	PQsetNoticeProcessor(conn, notice_processor, NULL);
	return conn;
}

/* Errors after which a new connection may succeed. */
static bool
retryable(const char *sqlstate)
{
	return sqlstate == NULL ||
		strncmp(sqlstate, "08", 2) == 0 ||	/* connection exception */
		strncmp(sqlstate, "40", 2) == 0 ||	/* transaction rollback */
		strncmp(sqlstate, "53", 2) == 0 ||	/* insufficient resources */
		strncmp(sqlstate, "57", 2) == 0 ||	/* operator intervention */
		strncmp(sqlstate, "58", 2) == 0;	/* system error */
}

/*
 * Run one statement.  Returns its result, or NULL (lost_reason set) when
 * the connection is lost or a stop is requested.  An error that another
 * connection would get again ends the program.
 */
PGresult *
query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = NULL;
	PGresult   *r;
	const char *primary;
	const char *sqlstate;

	if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0))
	{
		note_connection_lost(conn);
		return NULL;
	}
	for (;;)
	{
		while (PQisBusy(conn))
		{
			if (stop_requested)
			{
				PQclear(res);
				return NULL;
			}
			if (wait_for(PQsocket(conn), POLLIN, -1) && !PQconsumeInput(conn))
			{
				note_connection_lost(conn);
				PQclear(res);
				return NULL;
			}
		}
		if ((r = PQgetResult(conn)) == NULL)
			break;
		/* Keep the first error, else the last result. */
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR)
			PQclear(r);
		else
		{
			PQclear(res);
			res = r;
		}
	}
	if (res == NULL)
	{
		note_connection_lost(conn);
		return NULL;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;

	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	note_lost(primary ? primary : PQresultErrorMessage(res));
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQstatus(conn) == CONNECTION_BAD || retryable(sqlstate))
	{
		PQclear(res);
		return NULL;
	}
	if (sqlstate && (strcmp(sqlstate, "3F000") == 0 || strcmp(sqlstate, "42P01") == 0 ||
					 strcmp(sqlstate, "42883") == 0))
		die(EXIT_SERVER, "query failed: %s; is the ordermgmt extension installed in database \"%s\"?",
			lost_reason, PQdb(conn));
	die(EXIT_SERVER, "query failed: %s", lost_reason);
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */
/* ---------------------------------------------------------------------- */

void *
xmalloc(size_t size)
{
	void	   *p = malloc(size);

	if (p == NULL)
		die(EXIT_RUNTIME, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

/* A whole non-negative decimal number in [0, max], or -1. */
long long
parse_number(const char *s, long long max)
{
	char	   *end;
	long long	v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	return v;
}


/* Catch a malformed connection string at once rather than retrying it. */
void
check_connstr(const char *dbname)
{
	char	   *err = NULL;
	PQconninfoOption *parsed;

	if (dbname == NULL || !(strchr(dbname, '=') ||
							strncmp(dbname, "postgres://", 11) == 0 ||
							strncmp(dbname, "postgresql://", 13) == 0))
		return;
	parsed = PQconninfoParse(dbname, &err);
	if (parsed == NULL)
	{
		if (err != NULL)
			note_lost(err);
		else
			note_lost("out of memory");
		die(EXIT_CONNECT, "invalid connection string: %s", lost_reason);
	}
	PQconninfoFree(parsed);
}
