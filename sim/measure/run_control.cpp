#include "measure/run_control.hpp"

#include <sys/eventfd.h>

#include "measure/fd.hpp"
#include "measure/measure.hpp"

namespace tcpsim::measure {

int make_event_fd() {
    const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw MeasureError(errno_text("eventfd"));
    return fd;
}

void signal_event(int fd) {
    const uint64_t one = 1;
    if (write(fd, &one, sizeof one) < 0) {}  // only fails after 2^64 - 2 writes
}

}  // namespace tcpsim::measure
