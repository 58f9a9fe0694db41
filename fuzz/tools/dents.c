/* Writes the raw getdents64 buffer of a directory to a file: a seed for the dirent target.
   Usage: dents DIR OUT [BUFSIZE] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: dents DIR OUT [BUFSIZE]\n");
        return 2;
    }
    size_t size = argc > 3 ? (size_t)atol(argv[3]) : 4096;
    char *buf = malloc(size);
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || buf == NULL) {
        perror(argv[1]);
        return 1;
    }
    long n = syscall(SYS_getdents64, dir, buf, size);
    if (n < 0) {
        perror("getdents64");
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (out == NULL || fwrite(buf, 1, (size_t)n, out) != (size_t)n || fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    close(dir);
    free(buf);
    return 0;
}
