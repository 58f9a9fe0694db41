/*
 * readlink_floor — the "one-core C readlink floor" reference for bench/run.py.
 *
 * A plain single-threaded loop: open every /proc/PID/fd directory and
 * readlink() every entry, which is the minimum work any tool that maps
 * sockets to (pid, fd) through /proc must do.  A tool beating this on
 * population B must be doing better than one core of naive readlinks
 * (parallelism, or avoiding per-fd readlink).  Prints the counts so the
 * harness can also use it as a sanity check; output is discarded when timed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    DIR *proc = opendir("/proc");
    if (!proc) {
        perror("readlink_floor: /proc");
        return 1;
    }
    long procs = 0, fds = 0, sockets = 0;
    char path[300], target[256];
    struct dirent *de;
    while ((de = readdir(proc))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/fd", de->d_name);
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue; /* process exited, or a kernel thread we may not read */
        DIR *fd_dir = fdopendir(dfd);
        if (!fd_dir) {
            close(dfd);
            continue;
        }
        procs++;
        struct dirent *fe;
        while ((fe = readdir(fd_dir))) {
            if (fe->d_name[0] == '.')
                continue;
            ssize_t n = readlinkat(dfd, fe->d_name, target, sizeof target);
            if (n <= 0)
                continue;
            fds++;
            if (n > 8 && memcmp(target, "socket:[", 8) == 0)
                sockets++;
        }
        closedir(fd_dir); /* also closes dfd */
    }
    closedir(proc);
    printf("processes %ld fds %ld socket_fds %ld\n", procs, fds, sockets);
    return 0;
}
