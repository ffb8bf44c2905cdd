// SPDX-License-Identifier: MIT
#include "core/process.h"

#include <QtGlobal>

#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif

namespace voxtrack {

long raiseOpenFileLimit()
{
#ifdef Q_OS_UNIX
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? -1 : long(limit.rlim_cur);
#else
    return -1;
#endif
}

ProcessUsage processUsage()
{
    ProcessUsage usage;
#ifdef Q_OS_UNIX
    rusage self {};
    if (getrusage(RUSAGE_SELF, &self) == 0) {
        usage.cpuSeconds = double(self.ru_utime.tv_sec + self.ru_stime.tv_sec)
            + double(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
        usage.peakRssMb = double(self.ru_maxrss) / 1024.0; // kilobytes on Linux
    }
#endif
    return usage;
}

} // namespace voxtrack
