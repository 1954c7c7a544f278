/* watch.c - -w: a snapshot every interval, shown as timestamped listings (--batch, or
 * stdout not a terminal) or as a live ncurses view where new sockets and state changes
 * are highlighted for a moment and closed ones fade out. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ss.h"

#define MARK_SECS 3.0 /* how long a new, changed or closed socket stays marked */

static void stamp(FILE *f, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "--- %s.%03ldZ %zu sockets\n", buf, ts.tv_nsec / 1000000, n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int batch_loop(const struct opts *o, double interval, long count)
{
	struct rows r = {0};

	for (long i = 0; !count || i < count; i++) {
		if (i)
			nap(interval);
		if (dump_sockets(o, &r) != 0)
			return 1;
		stamp(stdout, r.n);
		show_list(o, &r, stdout);
		rows_clear(&r);
		if (fflush(stdout) != 0)
			err(1, "stdout");
	}
	free(r.v);
	return 0;
}

/* A socket the live view tracks: when it appeared, last changed state or shutdown, and
 * disappeared (0 while it exists). */
struct tracked {
	struct row r;
	double born, changed, gone;
};

static struct {
	const struct opts *o;
	struct tracked *v;
	size_t n;
	int sort;      /* column */
	bool reverse, paused, editing;
	char filter[64], edit[64];
	char msg[128];
} V;

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int by_cookie(const void *a, const void *b)
{
	const struct tracked *x = a, *y = b;

	return (x->r.s.cookie > y->r.s.cookie) - (x->r.s.cookie < y->r.s.cookie);
}

/* Merges a new snapshot into the tracked list (sockets are known by their cookie, which
 * the kernel never reuses). */
static void merge(struct rows *r, double t)
{
	struct tracked *nv = calloc(r->n + V.n + 1, sizeof(*nv));
	size_t nn = 0;

	if (!nv)
		errx(1, "out of memory");
	qsort(V.v, V.n, sizeof(*V.v), by_cookie);
	for (size_t i = 0; i < r->n; i++) {
		struct tracked key = {.r = r->v[i]};
		struct tracked *old = bsearch(&key, V.v, V.n, sizeof(*V.v), by_cookie);

		nv[nn] = key;
		if (old && !old->gone) {
			nv[nn].born = old->born;
			nv[nn].changed = old->changed;
			if (old->r.s.state != key.r.s.state || old->r.s.shutdown != key.r.s.shutdown)
				nv[nn].changed = t;
			old->gone = -1; /* carried over */
		} else {
			nv[nn].born = t;
		}
		r->v[i].users = NULL; /* ownership moves to the tracked row */
		nn++;
	}
	for (size_t i = 0; i < V.n; i++) {
		struct tracked *old = &V.v[i];

		if (old->gone == -1) {
			free(old->r.users);
			continue;
		}
		if (old->gone == 0)
			old->gone = t;
		if (t - old->gone < MARK_SECS)
			nv[nn++] = *old;
		else
			free(old->r.users);
	}
	free(V.v);
	V.v = nv;
	V.n = nn;
	r->n = 0;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct tracked *x = a, *y = b;
	char cx[CELL], cy[CELL];
	int c;

	cell_text(V.o, &x->r, (enum col)V.sort, cx);
	cell_text(V.o, &y->r, (enum col)V.sort, cy);
	c = strverscmp(cx, cy); /* numbers inside the text compare as numbers */
	if (!c)
		c = (x->r.s.cookie > y->r.s.cookie) - (x->r.s.cookie < y->r.s.cookie);
	return V.reverse ? -c : c;
}

static bool passes(const struct tracked *t)
{
	char line[CELL * COL__N + 1] = "", cell[CELL];

	if (!V.filter[0])
		return true;
	for (int c = 0; c < COL__N; c++) {
		cell_text(V.o, &t->r, (enum col)c, cell);
		strcat(line, cell);
		strcat(line, " ");
	}
	return strstr(line, V.filter) != NULL;
}

enum { PAIR_NEW = 1, PAIR_CHANGED, PAIR_GONE, PAIR_BAR };

static void draw(double t)
{
	int wid[COL__N] = {0}, y = 2, shown = 0;
	char cell[CELL];
	size_t i;

	erase();
	qsort(V.v, V.n, sizeof(*V.v), cmp_rows);
	for (int c = 0; c < COL__N; c++)
		wid[c] = (int)strlen(col_title[c]);
	for (i = 0; i < V.n; i++)
		for (int c = 0; c < COL__N; c++) {
			cell_text(V.o, &V.v[i].r, (enum col)c, cell);
			if ((int)strlen(cell) > wid[c])
				wid[c] = (int)strlen(cell);
		}
	for (i = 0; i < V.n; i++)
		shown += !V.v[i].gone && passes(&V.v[i]);
	attron(A_BOLD);
	mvprintw(0, 0, "vsockss: %d sockets%s%s%s  sort: %s%s%s", shown,
		 V.filter[0] ? "  filter: " : "", V.filter, V.paused ? "  [paused]" : "",
		 col_title[V.sort], V.reverse ? " (reversed)" : "", V.msg);
	attroff(A_BOLD);
	move(1, 0);
	attron(A_REVERSE);
	for (int c = 0, x = 0; c < COL__N; c++) {
		if (!col_shown(V.o, (enum col)c))
			continue;
		mvprintw(1, x, "%d:%-*s", c + 1, wid[c], col_title[c]);
		x += wid[c] + 3;
	}
	for (int x = getcurx(stdscr); x > 0 && x < COLS; x++)
		addch(' ');
	attroff(A_REVERSE);
	for (i = 0; i < V.n && y < LINES - 1; i++) {
		const struct tracked *tr = &V.v[i];
		attr_t a = A_NORMAL;
		int x = 0;

		if (!passes(tr))
			continue;
		if (tr->gone)
			a = A_DIM | COLOR_PAIR(PAIR_GONE);
		else if (t - tr->born < MARK_SECS)
			a = A_BOLD | COLOR_PAIR(PAIR_NEW);
		else if (tr->changed && t - tr->changed < MARK_SECS)
			a = A_BOLD | COLOR_PAIR(PAIR_CHANGED);
		attron(a);
		for (int c = 0; c < COL__N; c++) {
			if (!col_shown(V.o, (enum col)c))
				continue;
			cell_text(V.o, &tr->r, (enum col)c, cell);
			mvprintw(y, x, "  %-*s", wid[c], tr->gone && c == COL_STATE ? "CLOSED" : cell);
			x += wid[c] + 3;
		}
		attroff(a);
		y++;
	}
	attron(COLOR_PAIR(PAIR_BAR) | A_REVERSE);
	if (V.editing)
		mvprintw(LINES - 1, 0, "filter: %s_  (Enter apply, Esc cancel)", V.edit);
	else
		mvprintw(LINES - 1, 0, "1-%d sort  r reverse  / filter  p pause  q quit", COL__N);
	for (int x = getcurx(stdscr); x > 0 && x < COLS; x++)
		addch(' ');
	attroff(COLOR_PAIR(PAIR_BAR) | A_REVERSE);
	refresh();
}

/* A key: true when the view must be redrawn. */
static bool key(int ch)
{
	size_t l = strlen(V.edit);

	if (V.editing) {
		if (ch == '\n' || ch == KEY_ENTER) {
			strcpy(V.filter, V.edit);
			V.editing = false;
		} else if (ch == 27) {
			V.editing = false;
		} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			if (l)
				V.edit[l - 1] = '\0';
		} else if (ch >= ' ' && ch < 127 && l + 1 < sizeof(V.edit)) {
			V.edit[l] = (char)ch;
			V.edit[l + 1] = '\0';
		}
		return true;
	}
	if (ch == 'q' || ch == 'Q') {
		quit = 1;
	} else if (ch >= '1' && ch < '1' + COL__N && col_shown(V.o, (enum col)(ch - '1'))) {
		V.sort = ch - '1';
	} else if (ch == 'r') {
		V.reverse = !V.reverse;
	} else if (ch == 'p' || ch == ' ') {
		V.paused = !V.paused;
	} else if (ch == '/') {
		V.editing = true;
		strcpy(V.edit, V.filter);
	} else if (ch == KEY_RESIZE) {
		/* ncurses updated LINES and COLS; redraw at the new size */
	} else {
		return false;
	}
	return true;
}

static int live(const struct opts *o, double interval, long count)
{
	struct rows r = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	double next = 0;
	long taken = 0;
	int rc = 0;

	V.o = o;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The first dump before curses starts, so an error is a plain line. */
	if (dump_sockets(o, &r) != 0)
		return 1;
	merge(&r, now());
	taken = 1;
	next = now() + interval;
	if (!initscr())
		errx(1, "cannot start curses (TERM?)");
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(100);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_NEW, COLOR_GREEN, -1);
		init_pair(PAIR_CHANGED, COLOR_YELLOW, -1);
		init_pair(PAIR_GONE, COLOR_RED, -1);
		init_pair(PAIR_BAR, COLOR_CYAN, -1);
	}
	draw(now());
	while (!quit) {
		int ch = getch();
		double t = now();

		if (ch != ERR && key(ch))
			draw(t);
		if (quit)
			break;
		if (t >= next) {
			next = t + interval;
			/* Paused: the last snapshot stays as it is (highlights time out). */
			if (!V.paused) {
				if (count && taken >= count)
					break;
				if (dump_sockets(o, &r) != 0) {
					rc = 1;
					break;
				}
				taken++;
				merge(&r, t);
			}
			draw(t);
		}
	}
	endwin();
	for (size_t i = 0; i < V.n; i++)
		free(V.v[i].r.users);
	free(V.v);
	free(r.v);
	return rc;
}

int watch(const struct opts *o, double interval, long count, bool batch)
{
	return batch ? batch_loop(o, interval, count) : live(o, interval, count);
}
