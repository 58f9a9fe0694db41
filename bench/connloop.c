/*
 * connloop — a steady stream of short AF_UNIX connections, for the watcher's cost per event.
 *
 *   connloop PATH COUNT RATE
 *
 * Listens on PATH (which must not exist), forks a server that accepts and closes every connection,
 * then connects COUNT times at RATE connections a second (0: as fast as it can), closing each at
 * once, waits for the server to have accepted them all, removes PATH and prints
 * "connections <n> seconds <s>". Each connection is one connect, one accept and one close for
 * `sockpeer watch --source ebpf`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: connloop PATH COUNT RATE\n");
        return 2;
    }
    const char *path = argv[1];
    long count = atol(argv[2]);
    double rate = atof(argv[3]);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(a.sun_path)) {
        fprintf(stderr, "connloop: path too long\n");
        return 2;
    }
    strcpy(a.sun_path, path);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 4096) != 0) {
        perror("connloop: listen");
        return 1;
    }
    pid_t server = fork();
    if (server == 0) {
        for (long i = 0; i < count; i++) {
            int c = accept(l, 0, 0);
            if (c < 0) {
                if (errno == EINTR)
                    continue;
                _exit(1);
            }
            close(c);
        }
        _exit(0);
    }
    close(l);
    double start = now();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            double due = start + i / rate;
            double wait = due - now();
            if (wait > 0) {
                struct timespec t = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
                nanosleep(&t, 0);
            }
        }
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
            perror("connloop: connect");
            kill(server, SIGKILL);
            waitpid(server, 0, 0);
            unlink(path);
            return 1;
        }
        close(s);
    }
    int status = 0;
    waitpid(server, &status, 0);
    double took = now() - start;
    unlink(path);
    printf("connections %ld seconds %.3f\n", count, took);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
