/*-------------------------------------------------------------------------
 *
 * ordermgmt-listen.c
 *		Prints the events and alerts of the ordermgmt extension as JSON lines,
 *		with nothing lost and nothing printed twice across reconnects.
 *
 * The outbox is the only source of what is printed.  Notifications on
 * ordermgmt_events and ordermgmt_alerts are wake-ups: the listener drains
 * every pending one, then asks ordermgmt.events_since() for the events after
 * the last one it handled, and asks again while a full batch comes back.
 * events_since returns, in id order, a prefix of the committed events that
 * no running transaction can still add to, so the output is in strictly
 * increasing event_id order without gaps, and an id is never handled twice.
 * An alert event (alert.raised, alert.resolved) gives a line on each
 * channel; its alerts-channel payload is built as the server builds it.
 *
 * A notification can announce an event that events_since still holds back
 * behind an older transaction.  If that transaction rolls back, no
 * notification follows, so while the listener has not reached the highest
 * id it was told of, it asks again after a short, growing delay.
 *
 * After losing the connection it reconnects with exponential backoff,
 * LISTENs first and only then catches up from the last event handled: what
 * committed while it was away is printed, then what the new notifications
 * announce.  With --state-file that position also survives the listener.
 *
 * All waiting happens in wait_for() (om_client.c, shared with
 * ordermgmt-notify), on the socket and on a pipe that the signal handlers
 * write to, so SIGINT and SIGTERM end every wait at once.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#include "om_client.h"

#include "alert_payload.h"

#define PROGNAME "ordermgmt-listen"

#define EVENTS_CHANNEL	"ordermgmt_events"
#define ALERTS_CHANNEL	"ordermgmt_alerts"

#define CATCHUP_BATCH	1000	/* rows per events_since call */
#define RETRY_MIN_MS	50		/* re-asking for held-back events */
#define RETRY_MAX_MS	1000
#define MAX_COMMANDS	16		/* --exec commands running at once */

/*
 * The events after $1: each row's id, kind, order and stored payload, the
 * alert level for --level, whether it is an alert event, and the members
 * of the alerts-channel payload, which the listener formats exactly as the
 * server does (src/alert_payload.h).
 */
static const char *const catchup_sql =
"SELECT e.event_id, e.kind, e.order_id, e.payload::text, e.payload ->> 'level',\n"
"       e.kind IN ('alert.raised', 'alert.resolved'),\n"
"       " OM_ALERT_PAYLOAD_COLUMNS "\n"
"  FROM ordermgmt.events_since($1, $2) AS e";

/* The newest committed event: where a listener without a position starts. */
static const char *const newest_sql =
"SELECT coalesce(max(event_id), 0) FROM ordermgmt.events";

typedef struct KindFilter
{
	char	   *text;
	bool		prefix;			/* "order." or "order.*": a prefix */
} KindFilter;

static struct
{
	const char *dbname;
	const char *state_file;
	char	   *state_tmp;		/* state_file + ".tmp", renamed over it */
	int64_t		since;			/* -1: not given */
	bool		events;			/* print events-channel lines */
	bool		alerts;			/* print alerts-channel lines */
	bool		levels[4];		/* --level; all false: every level */
	bool		any_level;
	KindFilter *kinds;			/* --kind */
	int			nkinds;
	const char *exec_cmd;
	bool		wait;
	int			poll_ms;		/* 0: never poll */
}			opts;

static int64_t last_id = -1;	/* last event handled; -1: not known yet */
static int64_t saved_id = -1;	/* what the state file holds */

typedef struct Command
{
	pid_t		pid;
	int64_t		event_id;
} Command;

static Command commands[MAX_COMMANDS];
static int	ncommands = 0;

/* Collect the --exec commands that have ended; report the failed ones. */
static void
reap_commands(void)
{
	pid_t		pid;
	int			status;
	int			i;

	while (ncommands > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0)
	{
		for (i = 0; i < ncommands && commands[i].pid != pid; i++)
			;
		if (i == ncommands)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			info("command for event %" PRId64 " exited with status %d",
				 commands[i].event_id, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			info("command for event %" PRId64 " was terminated by signal %d",
				 commands[i].event_id, WTERMSIG(status));
		commands[i] = commands[--ncommands];
	}
}


/* ---------------------------------------------------------------------- */
/* State file                                                              */
/* ---------------------------------------------------------------------- */

static void
load_state(void)
{
	FILE	   *f;
	char		buf[64];
	char	   *end;
	long long	v;

	if (opts.state_file == NULL)
		return;
	f = fopen(opts.state_file, "r");
	if (f == NULL)
	{
		if (errno != ENOENT)
			die(EXIT_RUNTIME, "could not read state file \"%s\": %s",
				opts.state_file, strerror(errno));
		return;
	}
	if (fgets(buf, sizeof(buf), f) != NULL)
	{
		errno = 0;
		v = strtoll(buf, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
			end++;
		if (errno != 0 || end == buf || *end != '\0' || v < 0)
			die(EXIT_RUNTIME, "state file \"%s\" does not hold an event id", opts.state_file);
		last_id = saved_id = v;
	}
	fclose(f);
}

/* Write last_id to the state file if it moved: a new file, then rename. */
static void
save_state(void)
{
	char		buf[32];
	int			fd;
	int			len;

	if (opts.state_file == NULL || last_id == saved_id)
		return;
	len = snprintf(buf, sizeof(buf), "%" PRId64 "\n", last_id);
	fd = open(opts.state_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 ||
		write(fd, buf, len) != len ||
		fsync(fd) != 0 ||
		close(fd) != 0 ||
		rename(opts.state_tmp, opts.state_file) != 0)
		die(EXIT_RUNTIME, "could not write state file \"%s\": %s",
			opts.state_file, strerror(errno));
	saved_id = last_id;
}

/* ---------------------------------------------------------------------- */
/* Output and --exec                                                       */
/* ---------------------------------------------------------------------- */

/* s as a JSON string, escaped like the server's escape_json(). */
static void
put_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '"':
				fputs("\\\"", stdout);
				break;
			case '\\':
				fputs("\\\\", stdout);
				break;
			case '\b':
				fputs("\\b", stdout);
				break;
			case '\f':
				fputs("\\f", stdout);
				break;
			case '\n':
				fputs("\\n", stdout);
				break;
			case '\r':
				fputs("\\r", stdout);
				break;
			case '\t':
				fputs("\\t", stdout);
				break;
			default:
				if (c < 0x20)
					printf("\\u%04x", c);
				else
					putchar(c);
		}
	}
	putchar('"');
}

/* End a line; a failed write ends the program, the position saved first. */
static void
end_line(void)
{
	putchar('\n');
	if (fflush(stdout) != 0 || ferror(stdout))
	{
		int			save_errno = errno;

		save_state();
		die(EXIT_RUNTIME, "could not write to standard output: %s", strerror(save_errno));
	}
}

/*
 * The events-channel line: event_id, kind and order_id, then every member
 * of the stored payload.  The notification itself carries only the ids and
 * codes among them (every role can LISTEN); the listener reads the rest
 * from the outbox, which needs the API role.
 */
static void
print_event(int64_t id, const char *kind, const char *order_id, const char *payload)
{
	size_t		plen = strlen(payload);

	printf("{\"channel\": \"" EVENTS_CHANNEL "\", \"event_id\": %" PRId64
		   ", \"payload\": {\"event_id\": %" PRId64 ", \"kind\": ", id, id);
	put_json_string(kind);
	printf(", \"order_id\": %s", order_id);
	if (plen > 2 && payload[0] == '{' && payload[plen - 1] == '}')
	{
		fputs(", ", stdout);
		fwrite(payload + 1, 1, plen - 2, stdout);
	}
	fputs("}}", stdout);
	end_line();
}

/* The alerts-channel line: the payload is what ordermgmt_alerts carries. */
static void
print_alert(int64_t id, const char *alert)
{
	printf("{\"channel\": \"" ALERTS_CHANNEL "\", \"event_id\": %" PRId64
		   ", \"payload\": %s}", id, alert);
	end_line();
}

/*
 * Run --exec for one alert: /bin/sh -c CMD with the payload in
 * ORDERMGMT_ALERT and on standard input, its output on our stderr.  The
 * listener does not wait for it, unless MAX_COMMANDS are still running.
 */
static void
run_command(int64_t event_id, const char *alert)
{
	int			p[2];
	pid_t		pid;
	char		idbuf[32];
	size_t		len = strlen(alert);
	ssize_t		rc;

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, event_id);
	while (ncommands >= MAX_COMMANDS && !stop_requested)
		(void) wait_for(-1, 0, 1000);
	if (ncommands >= MAX_COMMANDS)
	{
		info("command for event %s not run: stopping", idbuf);
		return;
	}
	if (pipe(p) != 0)
	{
		info("could not run command for event %s: %s", idbuf, strerror(errno));
		return;
	}
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
	{
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if (dup2(p[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
			setenv("ORDERMGMT_ALERT", alert, 1) != 0 ||
			setenv("ORDERMGMT_EVENT_ID", idbuf, 1) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", opts.exec_cmd, (char *) NULL);
		_exit(127);
	}
	close(p[0]);
	if (pid < 0)
	{
		info("could not run command for event %s: %s", idbuf, strerror(errno));
		close(p[1]);
		return;
	}
	commands[ncommands].pid = pid;
	commands[ncommands].event_id = event_id;
	ncommands++;
	/* A payload is far smaller than a pipe: this write does not block. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	rc = write(p[1], alert, len);
	if (rc == (ssize_t) len)
		rc = write(p[1], "\n", 1);
	(void) rc;					/* a command need not read its input */
	close(p[1]);
}

static bool
kind_selected(const char *kind)
{
	int			i;

	if (opts.nkinds == 0)
		return true;
	for (i = 0; i < opts.nkinds; i++)
	{
		const KindFilter *k = &opts.kinds[i];

		if (k->prefix ? strncmp(kind, k->text, strlen(k->text)) == 0
			: strcmp(kind, k->text) == 0)
			return true;
	}
	return false;
}

static bool
level_selected(const char *level)
{
	int			n;

	if (!opts.any_level)
		return true;
	n = level ? atoi(level) : 0;
	return n >= 1 && n <= 3 && opts.levels[n];
}

/* Print one row of catchup_sql, as the filters say, and move past it. */
/* The alerts-channel payload of an alert event row (malloc'd). */
static char *
alert_payload(const PGresult *res, int row)
{
	int			len = snprintf(NULL, 0, OM_ALERT_PAYLOAD_FORMAT,
							   PQgetvalue(res, row, 6), PQgetvalue(res, row, 7), PQgetvalue(res, row, 8),
							   PQgetvalue(res, row, 9), PQgetvalue(res, row, 10), PQgetvalue(res, row, 11));
	char	   *buf = malloc(len + 1);

	if (buf == NULL)
		die(EXIT_RUNTIME, "out of memory");
	snprintf(buf, len + 1, OM_ALERT_PAYLOAD_FORMAT,
			 PQgetvalue(res, row, 6), PQgetvalue(res, row, 7), PQgetvalue(res, row, 8),
			 PQgetvalue(res, row, 9), PQgetvalue(res, row, 10), PQgetvalue(res, row, 11));
	return buf;
}

static void
handle_row(const PGresult *res, int row)
{
	int64_t		id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
	const char *kind = PQgetvalue(res, row, 1);

	if (id <= last_id)
		return;					/* never twice */
	if (opts.events && kind_selected(kind))
		print_event(id, kind,
					PQgetisnull(res, row, 2) ? "null" : PQgetvalue(res, row, 2),
					PQgetvalue(res, row, 3));
	if (opts.alerts && strcmp(PQgetvalue(res, row, 5), "t") == 0 &&
		level_selected(PQgetisnull(res, row, 4) ? NULL : PQgetvalue(res, row, 4)))
	{
		char	   *alert = alert_payload(res, row);

		print_alert(id, alert);
		if (opts.exec_cmd)
			run_command(id, alert);
		free(alert);
	}
	last_id = id;
}


/*
 * Print everything events_since has after last_id, batch after batch, and
 * save the position after each batch.  False if the connection was lost or
 * a stop requested.
 */
static bool
catch_up(PGconn *conn)
{
	char		after[32];
	char		limit[16];
	const char *params[2] = {after, limit};

	snprintf(limit, sizeof(limit), "%d", CATCHUP_BATCH);
	for (;;)
	{
		PGresult   *res;
		int			n;
		int			i;

		snprintf(after, sizeof(after), "%" PRId64, last_id);
		if ((res = query(conn, catchup_sql, 2, params)) == NULL)
			return false;
		n = PQntuples(res);
		for (i = 0; i < n && !stop_requested; i++)
			handle_row(res, i);
		PQclear(res);
		save_state();
		if (stop_requested)
			return false;
		if (n < CATCHUP_BATCH)
			return true;
	}
}

/* The event id of an ordermgmt_events payload, or -1. */
static int64_t
payload_event_id(const char *payload)
{
	const char *p = strstr(payload, "\"event_id\"");

	if (p == NULL)
		return -1;
	p += strlen("\"event_id\"");
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		return -1;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

typedef enum SessionEnd
{
	SESSION_STOPPED,
	SESSION_LOST
} SessionEnd;

/*
 * One connection's life: LISTEN, find the starting position if there is
 * none, catch up, then catch up again after every batch of notifications.
 * *established is set once the first catch-up is done.
 */
static SessionEnd
run_session(PGconn *conn, bool reconnected, bool *established)
{
	PGresult   *res;
	int64_t		announced;		/* highest event id known to be committed */
	int64_t		retry_at = -1;	/* when to ask again for held-back events */
	int			retry_ms = 0;
	int64_t		poll_at = -1;
	bool		wake = true;

	/*
	 * Resolve every name of our queries in pg_catalog only, as pg_dump
	 * does: look-alikes that another role planted in a schema on the
	 * default path would otherwise run with the listener's rights.
	 */
	if ((res = query(conn, "SELECT pg_catalog.set_config('search_path', '', false)", 0, NULL)) == NULL)
		goto ended;
	PQclear(res);
	if ((res = query(conn, "LISTEN " EVENTS_CHANNEL, 0, NULL)) == NULL)
		goto ended;
	PQclear(res);
	if ((res = query(conn, "LISTEN " ALERTS_CHANNEL, 0, NULL)) == NULL)
		goto ended;
	PQclear(res);

	/*
	 * Listening: whatever commits from now on is notified.  What committed
	 * before is in the outbox, up to this id at least.
	 */
	if ((res = query(conn, newest_sql, 0, NULL)) == NULL)
		goto ended;
	announced = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (last_id < 0)
		last_id = announced;
	else if (announced < last_id)
	{
		/*
		 * The server has lost events we printed: a failover to a standby
		 * that had not received them (asynchronous replication), or a
		 * restore.  Its sequence may hand their ids out again: go on from
		 * its newest event, so that no event committed there is skipped,
		 * and say which ids were printed and are gone.
		 */
		info("the server's newest event is %" PRId64 ", before event %" PRId64 " printed last: "
			 "events %" PRId64 " to %" PRId64 " are not on this server (lost with a failed primary, "
			 "or purged); going on after event %" PRId64 ", and ids in that range may be printed again "
			 "for other events",
			 announced, last_id, announced + 1, last_id, announced);
		last_id = announced;
	}
	save_state();
	if (reconnected)
		info("reconnected; catching up after event %" PRId64, last_id);

	for (;;)
	{
		PGnotify   *n;
		int64_t		now;
		int64_t		next;

		int64_t		told = -1;	/* highest event id the notifications claim */

		while ((n = PQnotifies(conn)) != NULL)
		{
			int64_t		id = strcmp(n->relname, EVENTS_CHANNEL) == 0 ?
				payload_event_id(n->extra) : -1;

			if (id < 0 || id > last_id)
				wake = true;
			if (id > told)
				told = id;
			PQfreemem(n);
		}

		/*
		 * Anyone may NOTIFY on our channels.  A notification is only sent at
		 * commit, so a real event is already in the outbox: one check bounds
		 * a forged id by the newest committed event, instead of polling for
		 * an event that will never come.
		 */
		if (told > announced)
		{
			int64_t		newest;

			if ((res = query(conn, newest_sql, 0, NULL)) == NULL)
				goto ended;
			newest = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			PQclear(res);
			if (told > newest)
			{
				info("ignoring a notification of event %" PRId64 ", beyond the newest event %" PRId64,
					 told, newest);
				told = newest;
			}
			if (told > announced)
				announced = told;
		}
		now = now_ms();
		if ((retry_at >= 0 && now >= retry_at) || (poll_at >= 0 && now >= poll_at))
			wake = true;
		if (wake)
		{
			if (!catch_up(conn))
				goto ended;
			*established = true;
			wake = false;
			now = now_ms();
			poll_at = opts.poll_ms > 0 ? now + opts.poll_ms : -1;
			if (announced > last_id)
			{
				retry_ms = retry_ms == 0 ? RETRY_MIN_MS
					: retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
				retry_at = now + retry_ms;
			}
			else
			{
				retry_ms = 0;
				retry_at = -1;
			}
			continue;
		}

		next = retry_at;
		if (poll_at >= 0 && (next < 0 || poll_at < next))
			next = poll_at;
		if (wait_for(PQsocket(conn), POLLIN, next < 0 ? -1 : (int) (next > now ? next - now : 0)) &&
			!PQconsumeInput(conn))
		{
			note_connection_lost(conn);
			return SESSION_LOST;
		}
		if (stop_requested)
			return SESSION_STOPPED;
	}

ended:
	return stop_requested ? SESSION_STOPPED : SESSION_LOST;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */
/* ---------------------------------------------------------------------- */

static void
usage(void)
{
	printf("%s prints the events and alerts of the ordermgmt extension as JSON lines,\n"
		   "one per notification, resuming without loss or repetition after a reconnect.\n\n",
		   PROGNAME);
	printf("Usage:\n  %s [OPTION]...\n\n", PROGNAME);
	printf("Options:\n"
		   "  -d, --dbname=CONNSTR     database name, connection string or URI\n"
		   "                           (default: from the PG* environment variables)\n"
		   "  -s, --state-file=PATH    keep the last event id handled in PATH and resume from it\n"
		   "      --since=ID           start after event ID when PATH holds no position\n"
		   "                           (default: after the newest event at the first connection)\n"
		   "  -k, --kind=KIND[,...]    events of these kinds only; KIND ending in \".\" or \".*\"\n"
		   "                           is a prefix (\"order.\" matches \"order.created\")\n"
		   "  -l, --level=N[,...]      alerts of these levels (1, 2, 3) only\n"
		   "      --events-only        print the ordermgmt_events lines only\n"
		   "      --alerts-only        print the ordermgmt_alerts lines only\n"
		   "  -e, --exec=CMD           run CMD with /bin/sh for each alert printed; the alert\n"
		   "                           is in $ORDERMGMT_ALERT and on its standard input\n"
		   "  -w, --wait               at start, retry until the server accepts the connection\n"
		   "      --poll-interval=SEC  also look for new events after SEC seconds without a\n"
		   "                           notification (default: 30; 0: never)\n"
		   "  -V, --version            print the version, then exit\n"
		   "  -h, --help               print this help, then exit\n\n");
	printf("Exit status: 0 stopped by SIGINT or SIGTERM; 1 output or state file error;\n"
		   "2 bad connection string, or no connection at start; 3 the server refuses the\n"
		   "listener's queries (no extension, no privilege); 64 bad command line.\n");
}

static void usage_error(const char *fmt,...) ATTRIBUTE_PRINTF(1, 2) ATTRIBUTE_NORETURN;

static void
usage_error(const char *fmt,...)
{
	va_list		ap;

	if (fmt != NULL)
	{
		fputs(PROGNAME ": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try \"%s --help\" for more information.\n", PROGNAME);
	exit(EXIT_USAGE);
}

static void
add_levels(const char *arg)
{
	char	   *list = xstrdup(arg);
	char	   *save = NULL;
	char	   *item;

	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		long long	n = parse_number(item, 3);

		if (n < 1)
			usage_error("invalid alert level \"%s\": must be 1, 2 or 3", item);
		opts.levels[n] = true;
		opts.any_level = true;
	}
	if (!opts.any_level)
		usage_error("invalid alert level \"%s\"", arg);
	free(list);
}

static void
add_kinds(const char *arg)
{
	char	   *list = xstrdup(arg);
	char	   *save = NULL;
	char	   *item;
	int			before = opts.nkinds;

	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		size_t		len = strlen(item);
		KindFilter *k;

		opts.kinds = realloc(opts.kinds, (opts.nkinds + 1) * sizeof(KindFilter));
		if (opts.kinds == NULL)
			die(EXIT_RUNTIME, "out of memory");
		k = &opts.kinds[opts.nkinds++];
		k->prefix = item[len - 1] == '.' || item[len - 1] == '*';
		if (item[len - 1] == '*')
			item[--len] = '\0';
		k->text = xstrdup(item);
	}
	if (opts.nkinds == before)
		usage_error("invalid event kind \"%s\"", arg);
	free(list);
}

enum
{
	OPT_SINCE = 256,
	OPT_EVENTS_ONLY,
	OPT_ALERTS_ONLY,
	OPT_POLL_INTERVAL
};

static void
parse_options(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"state-file", required_argument, NULL, 's'},
		{"since", required_argument, NULL, OPT_SINCE},
		{"kind", required_argument, NULL, 'k'},
		{"level", required_argument, NULL, 'l'},
		{"events-only", no_argument, NULL, OPT_EVENTS_ONLY},
		{"alerts-only", no_argument, NULL, OPT_ALERTS_ONLY},
		{"exec", required_argument, NULL, 'e'},
		{"wait", no_argument, NULL, 'w'},
		{"poll-interval", required_argument, NULL, OPT_POLL_INTERVAL},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	bool		events_only = false;
	bool		alerts_only = false;
	long long	n;
	int			c;

	opts.since = -1;
	opts.poll_ms = 30000;

	if (argc > 1 && strcmp(argv[1], "-?") == 0)
	{
		usage();
		exit(EXIT_STOPPED);
	}
	while ((c = getopt_long(argc, argv, "d:s:k:l:e:wVh", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = optarg;
				break;
			case 's':
				if (*optarg == '\0')
					usage_error("the state file name is empty");
				opts.state_file = optarg;
				break;
			case OPT_SINCE:
				if ((opts.since = parse_number(optarg, INT64_MAX)) < 0)
					usage_error("invalid event id \"%s\"", optarg);
				break;
			case 'k':
				add_kinds(optarg);
				break;
			case 'l':
				add_levels(optarg);
				break;
			case OPT_EVENTS_ONLY:
				events_only = true;
				break;
			case OPT_ALERTS_ONLY:
				alerts_only = true;
				break;
			case 'e':
				if (*optarg == '\0')
					usage_error("the command is empty");
				opts.exec_cmd = optarg;
				break;
			case 'w':
				opts.wait = true;
				break;
			case OPT_POLL_INTERVAL:
				if ((n = parse_number(optarg, 86400)) < 0)
					usage_error("invalid poll interval \"%s\": seconds from 0 to 86400", optarg);
				opts.poll_ms = (int) n * 1000;
				break;
			case 'V':
				printf("%s (ordermgmt) %s\n", PROGNAME, OM_VERSION);
				exit(EXIT_STOPPED);
			case 'h':
				usage();
				exit(EXIT_STOPPED);
			default:
				usage_error(NULL);	/* getopt has said what is wrong */
		}
	}
	if (optind < argc)
		usage_error("too many command-line arguments (first is \"%s\")", argv[optind]);
	if (events_only && alerts_only)
		usage_error("--events-only and --alerts-only cannot be used together");
	if (alerts_only && opts.nkinds > 0)
		usage_error("--kind selects events, which --alerts-only leaves out");
	if (events_only && (opts.any_level || opts.exec_cmd))
		usage_error("--level and --exec concern alerts, which --events-only leaves out");
	opts.events = !alerts_only;
	opts.alerts = !events_only;

	check_connstr(opts.dbname);
	if (opts.state_file)
	{
		opts.state_tmp = xmalloc(strlen(opts.state_file) + 5);
		sprintf(opts.state_tmp, "%s.tmp", opts.state_file);
	}
}

int
main(int argc, char **argv)
{
	int			backoff = BACKOFF_MIN_MS;
	bool		connected_before = false;

	progname = PROGNAME;
	parse_options(argc, argv);
	wait_hook = reap_commands;
	setup_signals();
	load_state();
	if (last_id < 0 && opts.since >= 0)
		last_id = opts.since;

	while (!stop_requested)
	{
		PGconn	   *conn = connect_db(opts.dbname);

		if (conn != NULL)
		{
			bool		established = false;
			SessionEnd end = run_session(conn, connected_before, &established);

			connected_before = true;
			PQfinish(conn);
			if (end == SESSION_STOPPED)
				break;
			if (established)
				backoff = BACKOFF_MIN_MS;
			info("connection lost: %s; reconnecting in %.1f s", lost_reason, backoff / 1000.0);
		}
		else if (stop_requested)
			break;
		else if (!connected_before && !opts.wait)
			die(EXIT_CONNECT, "could not connect: %s", lost_reason);
		else
			info("could not connect: %s; retrying in %.1f s", lost_reason, backoff / 1000.0);
		sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	save_state();
	return EXIT_STOPPED;
}
