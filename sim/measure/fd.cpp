#include "measure/fd.hpp"

#include <fcntl.h>

namespace tcpsim::measure {

void release_to_dev_null(int fd) {
    const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return;
    dup2(null_fd, fd);
    close(null_fd);
}

}  // namespace tcpsim::measure
