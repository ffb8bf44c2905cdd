// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

namespace voxtrack::cli {

/// Exit codes every voxtrack-cli command keeps to.
enum ExitCode {
    ExitOk = 0, ///< done; the checks found nothing at error severity
    ExitFindings = 1, ///< done, and there are errors to look at (doctor findings, failed thresholds)
    ExitCannotRun = 2, ///< could not do the work: bad arguments, bad URL, unreachable database…
};

/// Runs "voxtrack-cli <command> …" with the full argument list (argv[0] first).
int run(const QStringList& arguments);

} // namespace voxtrack::cli
