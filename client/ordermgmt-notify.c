/*-------------------------------------------------------------------------
 *
 * ordermgmt-notify.c
 *		Sends the notices to customers that the ordermgmt extension queues
 *		(ordermgmt.notifications), each through a sendmail-compatible
 *		command that reads the message on its standard input.
 *
 * Each round claims a batch of due notifications (claim_notifications:
 * FOR UPDATE SKIP LOCKED, so instances running at once get different
 * ones), runs the command for each, and marks it at once
 * (finish_notification): sent, due again after a delay that doubles with
 * each attempt, or failed once the attempts are spent.  Between rounds it
 * sleeps until the next retry is due or the poll interval ends, and wakes
 * early on the ordermgmt_events channel, on which new work is announced.
 *
 * Delivery is at least once: a notifier that stops between the command's
 * success and the mark (a crash, a lost connection) leaves the row claimed;
 * once its lease ends another claim takes it and the message goes out
 * again, with the same Message-ID, which lets a mail system or the
 * recipient drop the copy (docs/notifications.md).
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
#include <unistd.h>

#include "libpq-fe.h"

#include "om_client.h"

#define PROGNAME "ordermgmt-notify"
#define WAKE_CHANNEL	"ordermgmt_events"
#define OUTPUT_MAX		1024	/* of the command's output, kept as the error */
#define RECHECK_MIN_MS	20		/* the shortest sleep after an empty claim */

/* The due notifications, claimed for the lease. */
static const char *const claim_sql =
"SELECT notification_id, attempt, recipient, subject, body, message_id\n"
"  FROM ordermgmt.claim_notifications($1, $2::pg_catalog.interval)";

/* Mark one: sent (error NULL), queued again, or failed. */
static const char *const finish_sql =
"SELECT ordermgmt.finish_notification($1, $2, $3, $4, $5::pg_catalog.interval)";

/* Seconds until the next notification is due (NULL: none waits). */
static const char *const next_due_sql =
"SELECT pg_catalog.date_part('epoch', pg_catalog.min(next_attempt_at) OPERATOR(pg_catalog.-) pg_catalog.now())\n"
"  FROM ordermgmt.notifications WHERE status OPERATOR(pg_catalog.=) ANY ('{queued,sending}')";

/* Result columns of claim_sql. */
enum
{
	CLAIM_ID,
	CLAIM_ATTEMPT,
	CLAIM_RECIPIENT,
	CLAIM_SUBJECT,
	CLAIM_BODY,
	CLAIM_MESSAGE_ID
};

static struct
{
	const char *dbname;
	const char *command;
	const char *from;
	bool		once;
	int			batch;
	int			max_attempts;
	int			retry_ms;
	int			lease_ms;
	int			timeout_ms;
	int			poll_ms;
}			opts;

typedef enum SessionEnd
{
	SESSION_STOPPED,			/* a signal, or --once has sent what was due */
	SESSION_LOST
} SessionEnd;

/* ---------------------------------------------------------------------- */
/* The message                                                             */
/* ---------------------------------------------------------------------- */

typedef struct Buffer
{
	char	   *data;
	size_t		len;
	size_t		size;
} Buffer;

static void
append(Buffer *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size)
	{
		b->size = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->size);
		if (b->data == NULL)
			die(EXIT_RUNTIME, "out of memory");
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
append_str(Buffer *b, const char *s)
{
	append(b, s, strlen(s));
}

static void
append_base64(Buffer *b, const unsigned char *s, size_t n)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;

	for (i = 0; i < n; i += 3)
	{
		unsigned	v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		char		q[4];

		q[0] = digits[(v >> 18) & 63];
		q[1] = digits[(v >> 12) & 63];
		q[2] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? digits[v & 63] : '=';
		append(b, q, 4);
	}
}

/*
 * The subject as a header value: as it is when it is short printable
 * ASCII, else RFC 2047 encoded words of whole UTF-8 characters, one per
 * folded line.  Either way nothing in it can end the header.
 */
static void
append_subject(Buffer *b, const char *subject)
{
	const unsigned char *s = (const unsigned char *) subject;
	size_t		len = strlen(subject);
	size_t		i;
	bool		plain = len <= 900;

	for (i = 0; i < len && plain; i++)
		plain = s[i] >= 0x20 && s[i] < 0x7f;
	if (plain)
	{
		append(b, subject, len);
		return;
	}
	for (i = 0; i < len;)
	{
		size_t		n = len - i < 45 ? len - i : 45;

		/* Never split a character: back up to the start of one. */
		while (n > 1 && i + n < len && (s[i + n] & 0xC0) == 0x80)
			n--;
		if (i > 0)
			append_str(b, "\n ");
		append_str(b, "=?UTF-8?B?");
		append_base64(b, s + i, n);
		append_str(b, "?=");
		i += n;
	}
}

/* The whole message: headers, an empty line, the body ending in a newline. */
static char *
build_message(const PGresult *res, int row)
{
	Buffer		b = {0};
	const char *body = PQgetvalue(res, row, CLAIM_BODY);

	append_str(&b, "To: ");
	append_str(&b, PQgetvalue(res, row, CLAIM_RECIPIENT));
	if (opts.from)
	{
		append_str(&b, "\nFrom: ");
		append_str(&b, opts.from);
	}
	append_str(&b, "\nSubject: ");
	append_subject(&b, PQgetvalue(res, row, CLAIM_SUBJECT));
	append_str(&b, "\nMessage-ID: ");
	append_str(&b, PQgetvalue(res, row, CLAIM_MESSAGE_ID));
	append_str(&b, "\nX-Ordermgmt-Notification: ");
	append_str(&b, PQgetvalue(res, row, CLAIM_ID));
	append_str(&b, "\nMIME-Version: 1.0\n"
			   "Content-Type: text/plain; charset=UTF-8\n"
			   "Content-Transfer-Encoding: 8bit\n\n");
	append_str(&b, body);
	if (b.data[b.len - 1] != '\n')
		append_str(&b, "\n");
	return b.data;
}

/* ---------------------------------------------------------------------- */
/* The command                                                             */
/* ---------------------------------------------------------------------- */

/* A short, one-line account of why the command failed (malloc'd). */
static char *
command_error(int status, bool timed_out, const char *output)
{
	char		buf[OUTPUT_MAX + 64];
	char		line[OUTPUT_MAX + 1];
	size_t		n = strcspn(output, "\n");

	if (n > OUTPUT_MAX)
		n = OUTPUT_MAX;
	memcpy(line, output, n);
	line[n] = '\0';
	if (timed_out)
		snprintf(buf, sizeof(buf), "command timed out after %d ms", opts.timeout_ms);
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "command was terminated by signal %d", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "command exited with status %d", WEXITSTATUS(status));
	if (line[0] != '\0')
	{
		strncat(buf, ": ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, line, sizeof(buf) - strlen(buf) - 1);
	}
	return xstrdup(buf);
}

static void
run_child(int in_fd, int out_fd, const char *id, const char *recipient)
{
	dup2(in_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	if (in_fd > STDERR_FILENO)
		close(in_fd);
	if (out_fd > STDERR_FILENO)
		close(out_fd);
	setenv("OM_NOTIFICATION_ID", id, 1);
	setenv("OM_RECIPIENT", recipient, 1);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", opts.command, (char *) NULL);
	_exit(127);
}

/*
 * Run the command with the message on its standard input.  NULL if it
 * exited with status 0, else why not (malloc'd).  Its output (both
 * streams) is kept for the error; past the timeout it is killed.
 */
static char *
send_message(const char *id, const char *recipient, const char *message)
{
	int			in[2];
	int			out[2];
	pid_t		pid;
	size_t		len = strlen(message);
	size_t		written = 0;
	char		output[OUTPUT_MAX + 1];
	size_t		output_len = 0;
	bool		out_open = true;
	bool		timed_out = false;
	int64_t		deadline = now_ms() + opts.timeout_ms;
	int			status;

	if (pipe(in) != 0 || pipe(out) != 0)
		die(EXIT_RUNTIME, "could not create pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0)
		die(EXIT_RUNTIME, "could not fork: %s", strerror(errno));
	if (pid == 0)
	{
		close(in[1]);
		close(out[0]);
		run_child(in[0], out[1], id, recipient);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

	/* Write the message and read the output at once: neither side blocks. */
	while ((in[1] >= 0 || out_open) && !timed_out)
	{
		struct pollfd pfd[2];
		int			n = 0;
		int			k;
		int64_t		left = deadline - now_ms();

		if (left <= 0)
		{
			timed_out = true;
			break;
		}
		if (in[1] >= 0)
		{
			pfd[n].fd = in[1];
			pfd[n].events = POLLOUT;
			pfd[n++].revents = 0;
		}
		if (out_open)
		{
			pfd[n].fd = out[0];
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (poll(pfd, n, (int) left) < 0 && errno != EINTR)
			die(EXIT_RUNTIME, "poll failed: %s", strerror(errno));
		for (k = 0; k < n; k++)
		{
			if (pfd[k].fd == in[1] && pfd[k].revents)
			{
				ssize_t		w = write(in[1], message + written, len - written);

				if (w > 0)
					written += w;
				/* Done, or the command stopped reading (EPIPE): its status says. */
				if (written == len || (w < 0 && errno != EAGAIN && errno != EINTR))
				{
					close(in[1]);
					in[1] = -1;
				}
			}
			else if (pfd[k].fd == out[0] && pfd[k].revents)
			{
				char		buf[4096];
				ssize_t		r = read(out[0], buf, sizeof(buf));

				if (r > 0 && output_len < OUTPUT_MAX)
				{
					size_t		keep = (size_t) r < OUTPUT_MAX - output_len ? (size_t) r : OUTPUT_MAX - output_len;

					memcpy(output + output_len, buf, keep);
					output_len += keep;
				}
				else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
					out_open = false;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	output[output_len] = '\0';
	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	return command_error(status, timed_out, output);
}

/* ---------------------------------------------------------------------- */
/* Rounds                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Send one claimed notification and mark it.  False if the connection
 * was lost before the mark (the claim then lapses: at least once).
 */
static bool
send_one(PGconn *conn, const PGresult *claimed, int row)
{
	const char *id = PQgetvalue(claimed, row, CLAIM_ID);
	const char *recipient = PQgetvalue(claimed, row, CLAIM_RECIPIENT);
	char		max_attempts[16];
	char		retry[32];
	const char *params[5];
	char	   *message;
	char	   *error = NULL;
	PGresult   *res;

	/* The server checks the address; a line break never reaches a header. */
	if (strpbrk(recipient, "\r\n") != NULL)
		error = xstrdup("recipient address contains a line break");
	else
	{
		message = build_message(claimed, row);
		error = send_message(id, recipient, message);
		free(message);
	}

	snprintf(max_attempts, sizeof(max_attempts), "%d", opts.max_attempts);
	snprintf(retry, sizeof(retry), "%d milliseconds", opts.retry_ms);
	params[0] = id;
	params[1] = PQgetvalue(claimed, row, CLAIM_ATTEMPT);
	params[2] = error;
	params[3] = max_attempts;
	params[4] = retry;
	res = query(conn, finish_sql, 5, params);
	if (res != NULL)
	{
		const char *status = PQgetisnull(res, 0, 0) ? "lapsed claim, not marked" : PQgetvalue(res, 0, 0);

		if (error != NULL)
			info("notification %s, attempt %s: %s (%s)", id, params[1], error, status);
		PQclear(res);
	}
	free(error);
	return res != NULL;
}

/* Milliseconds to sleep: until the next retry is due, at most the poll interval. */
static int
sleep_time(PGconn *conn, bool *lost)
{
	PGresult   *res = query(conn, next_due_sql, 0, NULL);
	int			ms = opts.poll_ms;

	*lost = res == NULL;
	if (res == NULL)
		return 0;
	if (!PQgetisnull(res, 0, 0))
	{
		double		s = strtod(PQgetvalue(res, 0, 0), NULL);

		if (s * 1000 < ms)
			ms = s <= 0 ? 0 : (int) (s * 1000) + 1;
	}
	PQclear(res);
	return ms;
}

static SessionEnd
run_session(PGconn *conn)
{
	char		batch[16];
	char		lease[32];
	const char *params[2] = {batch, lease};
	PGresult   *res;

	snprintf(batch, sizeof(batch), "%d", opts.batch);
	snprintf(lease, sizeof(lease), "%d milliseconds", opts.lease_ms);

	/* As ordermgmt-listen: resolve names in pg_catalog and our schema only. */
	if ((res = query(conn, "SELECT pg_catalog.set_config('search_path', '', false)", 0, NULL)) == NULL)
		goto ended;
	PQclear(res);
	if (!opts.once)
	{
		if ((res = query(conn, "LISTEN " WAKE_CHANNEL, 0, NULL)) == NULL)
			goto ended;
		PQclear(res);
	}

	while (!stop_requested)
	{
		PGnotify   *n;
		int			rows;
		int			i;
		int			ms;
		bool		lost;

		/* Wake-ups that came in before this round are answered by it. */
		while ((n = PQnotifies(conn)) != NULL)
			PQfreemem(n);
		if ((res = query(conn, claim_sql, 2, params)) == NULL)
			goto ended;
		rows = PQntuples(res);
		for (i = 0; i < rows; i++)
		{
			/* A stop leaves the rest claimed: taken again after the lease. */
			if (stop_requested || !send_one(conn, res, i))
			{
				PQclear(res);
				goto ended;
			}
		}
		PQclear(res);
		if (rows == opts.batch)
			continue;
		if (opts.once)
			return SESSION_STOPPED;

		ms = sleep_time(conn, &lost);
		if (lost)
			goto ended;
		/* Due yet not claimed: locked by someone else for a moment. */
		if (rows == 0 && ms < RECHECK_MIN_MS)
			ms = RECHECK_MIN_MS;
		if (ms > 0 && PQnotifies(conn) == NULL &&
			wait_for(PQsocket(conn), POLLIN, ms) && !PQconsumeInput(conn))
		{
			note_connection_lost(conn);
			return SESSION_LOST;
		}
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
	printf("%s sends the notices to customers that the ordermgmt extension queues,\n"
		   "each through a sendmail-compatible command that reads the message on its\n"
		   "standard input.\n\n", PROGNAME);
	printf("Usage:\n  %s [OPTION]... --command=CMD\n\n", PROGNAME);
	printf("Options:\n"
		   "  -d, --dbname=CONNSTR      database name, connection string or URI\n"
		   "                            (default: from the PG* environment variables)\n"
		   "  -c, --command=CMD         run CMD with /bin/sh for each notification, the message\n"
		   "                            on its standard input, OM_NOTIFICATION_ID and\n"
		   "                            OM_RECIPIENT in its environment; exit status 0 is\n"
		   "                            sent (e.g. \"/usr/sbin/sendmail -i -t\")\n"
		   "      --once                send what is due, then exit\n"
		   "      --from=ADDRESS        add a From: header (default: the command's own)\n"
		   "      --batch=N             notifications claimed at a time (default: 10)\n"
		   "      --max-attempts=N      attempts before a notification is failed (default: 5)\n"
		   "      --retry-delay=SECONDS delay after the first failure, doubling after each\n"
		   "                            (default: 60)\n"
		   "      --timeout=SECONDS     the command's time limit (default: 60)\n"
		   "      --lease=SECONDS       how long a claim lasts, more than the timeout; then\n"
		   "                            another notifier takes the notification (default: 300)\n"
		   "      --poll-interval=SECONDS  look for due notifications at least this often\n"
		   "                            (default: 5)\n"
		   "  -V, --version             print the version and exit\n"
		   "  -h, --help                show this help and exit\n\n"
		   "Exit status: 0 when stopped (SIGINT, SIGTERM) or done (--once), 2 when the first\n"
		   "connection fails, 3 when the server refuses the queries, 64 on a bad command line.\n");
}

static void usage_error(const char *fmt,...) ATTRIBUTE_PRINTF(1, 2) ATTRIBUTE_NORETURN;

static void
usage_error(const char *fmt,...)
{
	va_list		ap;

	if (fmt)
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

/* SECONDS (a decimal number, at most a day) in milliseconds, at least 1. */
static int
seconds_arg(const char *name, const char *s)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400)
		usage_error("invalid %s \"%s\": seconds, more than 0 and at most 86400", name, s);
	return v * 1000 < 1 ? 1 : (int) (v * 1000);
}

static int
count_arg(const char *name, const char *s, int max)
{
	long long	n = parse_number(s, max);

	if (n < 1)
		usage_error("invalid %s \"%s\": a whole number from 1 to %d", name, s, max);
	return (int) n;
}

enum
{
	OPT_ONCE = 256,
	OPT_FROM,
	OPT_BATCH,
	OPT_MAX_ATTEMPTS,
	OPT_RETRY_DELAY,
	OPT_TIMEOUT,
	OPT_LEASE,
	OPT_POLL_INTERVAL
};

static void
parse_options(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"command", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, OPT_ONCE},
		{"from", required_argument, NULL, OPT_FROM},
		{"batch", required_argument, NULL, OPT_BATCH},
		{"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
		{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"lease", required_argument, NULL, OPT_LEASE},
		{"poll-interval", required_argument, NULL, OPT_POLL_INTERVAL},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	opts.batch = 10;
	opts.max_attempts = 5;
	opts.retry_ms = 60000;
	opts.timeout_ms = 60000;
	opts.lease_ms = 300000;
	opts.poll_ms = 5000;

	if (argc > 1 && strcmp(argv[1], "-?") == 0)
	{
		usage();
		exit(EXIT_STOPPED);
	}
	while ((c = getopt_long(argc, argv, "d:c:Vh", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = optarg;
				break;
			case 'c':
				if (*optarg == '\0')
					usage_error("the command is empty");
				opts.command = optarg;
				break;
			case OPT_ONCE:
				opts.once = true;
				break;
			case OPT_FROM:
				if (*optarg == '\0' || strpbrk(optarg, "\r\n") != NULL)
					usage_error("invalid --from address");
				opts.from = optarg;
				break;
			case OPT_BATCH:
				opts.batch = count_arg("batch size", optarg, 1000);
				break;
			case OPT_MAX_ATTEMPTS:
				opts.max_attempts = count_arg("number of attempts", optarg, 1000);
				break;
			case OPT_RETRY_DELAY:
				opts.retry_ms = seconds_arg("retry delay", optarg);
				break;
			case OPT_TIMEOUT:
				opts.timeout_ms = seconds_arg("timeout", optarg);
				break;
			case OPT_LEASE:
				opts.lease_ms = seconds_arg("lease", optarg);
				break;
			case OPT_POLL_INTERVAL:
				opts.poll_ms = seconds_arg("poll interval", optarg);
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
	if (opts.command == NULL)
		usage_error("--command is required");
	/* A claim must outlast the command, or another notifier sends it too. */
	if (opts.lease_ms <= opts.timeout_ms)
		usage_error("the lease (%d ms) must be longer than the timeout (%d ms)",
					opts.lease_ms, opts.timeout_ms);
	check_connstr(opts.dbname);
}

int
main(int argc, char **argv)
{
	int			backoff = BACKOFF_MIN_MS;
	bool		connected_before = false;

	progname = PROGNAME;
	parse_options(argc, argv);
	setup_signals();

	while (!stop_requested)
	{
		PGconn	   *conn = connect_db(opts.dbname);

		if (conn != NULL)
		{
			SessionEnd end = run_session(conn);

			connected_before = true;
			PQfinish(conn);
			if (end == SESSION_STOPPED)
				break;
			backoff = BACKOFF_MIN_MS;
			info("connection lost: %s; reconnecting in %.1f s", lost_reason, backoff / 1000.0);
		}
		else if (stop_requested)
			break;
		else if (!connected_before)
			die(EXIT_CONNECT, "could not connect: %s", lost_reason);
		else
			info("could not connect: %s; retrying in %.1f s", lost_reason, backoff / 1000.0);
		sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return EXIT_STOPPED;
}
