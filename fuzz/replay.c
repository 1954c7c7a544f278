/* replay.c - runs a fuzz target over every file of its corpus without libFuzzer, so
 * `make check` replays the committed corpus with any compiler.  Prints TAP. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return -1;
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so a read past the end is caught by sanitizers. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort), count = 0, bad = 0;

		if (n < 0) {
			printf("not ok %d - %s: cannot read corpus folder\n", i, argv[i]);
			failed++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			struct stat st;

			if (names[k]->d_name[0] != '.' &&
			    snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name) <
				    (int)sizeof(path) &&
			    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (replay_file(path) == 0)
					count++;
				else
					bad++;
			}
			free(names[k]);
		}
		free(names);
		if (count == 0 || bad)
			failed++;
		printf("%sok %d - %s: %d inputs replayed%s\n", count && !bad ? "" : "not ", i,
		       argv[i], count, bad ? ", some unreadable" : (count ? "" : ", corpus empty"));
	}
	printf("1..%d\n", argc - 1);
	return failed ? 1 : 0;
}
