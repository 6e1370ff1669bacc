/* Holds a file or device the way another user of it would, for the shell tests of the
 * safety refusals (tests/cli/promises.sh), until it is killed:
 *   vdt_hold fd   PATH READY   an open descriptor (O_RDONLY)
 *   vdt_hold excl PATH READY   an O_EXCL open of a block device (as a mount or md would)
 *   vdt_hold ofd  PATH READY   QEMU's OFD locks: bytes 100, 101 ("holds read, write")
 *                              and 201 ("does not share write"), as a running guest has
 * READY is created once the hold is in place. Exit 1 with one line when it cannot hold. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int lock_byte(int fd, off_t at)
{
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };

    return fcntl(fd, F_OFD_SETLK, &fl);
}

int main(int argc, char **argv)
{
    int fd, ready;

    if (argc != 4) {
        fprintf(stderr, "usage: vdt_hold fd|excl|ofd PATH READY\n");
        return 2;
    }
    if (strcmp(argv[1], "fd") == 0) {
        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    } else if (strcmp(argv[1], "excl") == 0) {
        fd = open(argv[2], O_RDONLY | O_EXCL | O_CLOEXEC);
    } else if (strcmp(argv[1], "ofd") == 0) {
        fd = open(argv[2], O_RDWR | O_CLOEXEC);
        if (fd >= 0 && (lock_byte(fd, 100) < 0 || lock_byte(fd, 101) < 0 || lock_byte(fd, 201) < 0)) {
            fprintf(stderr, "vdt_hold: %s: F_OFD_SETLK: %s\n", argv[2], strerror(errno));
            return 1;
        }
    } else {
        fprintf(stderr, "vdt_hold: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    if (fd < 0) {
        fprintf(stderr, "vdt_hold: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    ready = open(argv[3], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (ready < 0 || close(ready) < 0) {
        fprintf(stderr, "vdt_hold: %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    for (;;)
        pause();
}
