/* procs.c - -p: the processes holding each socket, found as ss finds them, by the
 * "socket:[INODE]" links under /proc/PID/fd. */
#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss.h"

struct owner {
	uint32_t ino;
	int pid, fd;
	char comm[32];
};

static int by_ino(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Every socket inode open in a process, sorted by inode. */
static struct owner *scan(size_t *np)
{
	struct owner *v = NULL;
	size_t n = 0, cap = 0;
	DIR *proc = opendir("/proc");
	struct dirent *p;

	*np = 0;
	if (!proc)
		return NULL;
	while ((p = readdir(proc))) {
		char path[300], comm[32] = "", link[64];
		DIR *fds;
		struct dirent *d;
		FILE *f;
		char *end;
		long pid = strtol(p->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if (!(fds = opendir(path)))
			continue; /* gone, or not ours to read */
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if ((f = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		while ((d = readdir(fds))) {
			unsigned long ino;
			long fd = strtol(d->d_name, &end, 10);
			ssize_t l;

			if (*end || fd < 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fd/%ld", pid, fd);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			if (n == cap) {
				struct owner *nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

				if (!nv)
					errx(1, "out of memory");
				v = nv;
			}
			v[n] = (struct owner){.ino = (uint32_t)ino, .pid = (int)pid, .fd = (int)fd};
			memcpy(v[n].comm, comm, sizeof(comm));
			n++;
		}
		closedir(fds);
	}
	closedir(proc);
	if (n)
		qsort(v, n, sizeof(*v), by_ino);
	*np = n;
	return v;
}

void procs_attach(struct rows *r)
{
	size_t n, i;
	struct owner *v = scan(&n);

	for (i = 0; i < r->n; i++) {
		struct owner key = {.ino = r->v[i].s.ino, .pid = -1};
		size_t lo = 0, hi = n;
		char *buf = NULL;
		size_t blen = 0;
		FILE *f;

		if (!r->v[i].s.ino)
			continue;
		while (lo < hi) { /* first owner with this inode */
			size_t mid = (lo + hi) / 2;

			if (by_ino(&v[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= n || v[lo].ino != key.ino)
			continue;
		if (!(f = open_memstream(&buf, &blen)))
			errx(1, "out of memory");
		for (size_t k = lo; k < n && v[k].ino == key.ino; k++)
			fprintf(f, "%s(\"%s\",pid=%d,fd=%d)", k > lo ? "," : "", v[k].comm, v[k].pid,
				v[k].fd);
		if (fclose(f) != 0)
			errx(1, "out of memory");
		r->v[i].users = buf;
	}
	free(v);
}
