/*
 * bench-floor: the fastest plain zlib reading of gzip files — the floor for `journeys events`.
 *
 *   cc -O2 -o .build/bench-floor Tests/bench/floor.c -lz
 *   .build/bench-floor [-j N] FILE...
 *   .build/bench-floor --version        (prints the zlib version)
 *
 * Inflates every member of each file (concatenated gzip members included) and counts the
 * lines (a final line without '\n' counts too). With -j N it forks N processes and gives each
 * a share of the files (largest first, to the least loaded), so N cores inflate in parallel.
 * Prints one line:  files=F compressed=BYTES uncompressed=BYTES lines=N
 * Exit status 1 if a file cannot be read or is not valid gzip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define IN_SIZE (256 * 1024)
#define OUT_SIZE (256 * 1024)

struct totals {
    uint64_t files, compressed, uncompressed, lines;
    int failed;
};

static unsigned char inbuf[IN_SIZE];
static unsigned char outbuf[OUT_SIZE];

static uint64_t count_newlines(const unsigned char *p, size_t n) {
    uint64_t c = 0;
    const unsigned char *end = p + n;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        c++;
        p = nl + 1;
    }
    return c;
}

static int read_file(const char *path, struct totals *t) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "bench-floor: %s: %s\n", path, strerror(errno));
        return -1;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        close(fd);
        return -1;
    }
    int last = '\n', ok = 0, in_member = 0;
    uint64_t bytes = 0, lines = 0, compressed = 0;
    for (;;) {
        if (zs.avail_in == 0) {
            ssize_t n = read(fd, inbuf, IN_SIZE);
            if (n < 0) { if (errno == EINTR) continue; fprintf(stderr, "bench-floor: %s: %s\n", path, strerror(errno)); break; }
            if (n == 0) { ok = !in_member; if (!ok) fprintf(stderr, "bench-floor: %s: truncated\n", path); break; }
            compressed += (uint64_t)n;
            zs.next_in = inbuf;
            zs.avail_in = (uInt)n;
        }
        in_member = 1;
        zs.next_out = outbuf;
        zs.avail_out = OUT_SIZE;
        int rc = inflate(&zs, Z_NO_FLUSH);
        size_t produced = OUT_SIZE - zs.avail_out;
        if (produced) {
            bytes += produced;
            lines += count_newlines(outbuf, produced);
            last = outbuf[produced - 1];
        }
        if (rc == Z_STREAM_END) {
            in_member = 0;
            inflateReset(&zs); /* another member may follow */
        } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_in == 0)) {
            fprintf(stderr, "bench-floor: %s: %s\n", path, zs.msg ? zs.msg : "inflate error");
            break;
        }
    }
    inflateEnd(&zs);
    close(fd);
    if (last != '\n') lines++;
    t->files++;
    t->compressed += compressed;
    t->uncompressed += bytes;
    t->lines += lines;
    return ok ? 0 : -1;
}

static off_t size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

int main(int argc, char **argv) {
    int jobs = 1, first = 1;
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s\n", zlibVersion());
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "-j") == 0) {
        jobs = atoi(argv[2]);
        first = 3;
    }
    if (jobs < 1 || first >= argc) {
        fprintf(stderr, "usage: bench-floor [-j N] FILE...\n");
        return 2;
    }
    int nfiles = argc - first;
    struct totals sum = {0};
    if (jobs == 1) {
        for (int i = first; i < argc; i++)
            if (read_file(argv[i], &sum) != 0) sum.failed = 1;
    } else {
        /* Largest file first, each to the least loaded worker. */
        int *owner = calloc((size_t)nfiles, sizeof *owner);
        int *order = malloc((size_t)nfiles * sizeof *order);
        off_t *sizes = malloc((size_t)nfiles * sizeof *sizes);
        off_t *load = calloc((size_t)jobs, sizeof *load);
        for (int i = 0; i < nfiles; i++) { order[i] = i; sizes[i] = size_of(argv[first + i]); }
        for (int i = 1; i < nfiles; i++) {
            int k = order[i], j = i - 1;
            while (j >= 0 && sizes[order[j]] < sizes[k]) { order[j + 1] = order[j]; j--; }
            order[j + 1] = k;
        }
        for (int i = 0; i < nfiles; i++) {
            int best = 0;
            for (int w = 1; w < jobs; w++) if (load[w] < load[best]) best = w;
            owner[order[i]] = best;
            load[best] += sizes[order[i]];
        }
        int (*pipes)[2] = malloc((size_t)jobs * sizeof *pipes);
        for (int w = 0; w < jobs; w++) {
            if (pipe(pipes[w]) != 0) { perror("pipe"); return 1; }
            pid_t pid = fork();
            if (pid < 0) { perror("fork"); return 1; }
            if (pid == 0) {
                struct totals t = {0};
                for (int i = 0; i < nfiles; i++)
                    if (owner[i] == w && read_file(argv[first + i], &t) != 0) t.failed = 1;
                if (write(pipes[w][1], &t, sizeof t) != (ssize_t)sizeof t) _exit(1);
                _exit(0);
            }
            close(pipes[w][1]);
        }
        for (int w = 0; w < jobs; w++) {
            struct totals t;
            if (read(pipes[w][0], &t, sizeof t) != (ssize_t)sizeof t) { sum.failed = 1; continue; }
            sum.files += t.files;
            sum.compressed += t.compressed;
            sum.uncompressed += t.uncompressed;
            sum.lines += t.lines;
            sum.failed |= t.failed;
        }
        while (wait(NULL) > 0) {}
    }
    printf("files=%llu compressed=%llu uncompressed=%llu lines=%llu\n", (unsigned long long)sum.files,
           (unsigned long long)sum.compressed, (unsigned long long)sum.uncompressed, (unsigned long long)sum.lines);
    return sum.failed ? 1 : 0;
}
