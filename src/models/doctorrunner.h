// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "models/metatypes.h"
#include "store/doctor.h"

#include <QObject>
#include <QThreadPool>

#include <atomic>

namespace voxtrack::models {

/// Runs the doctor off the calling thread. Each run opens its own read-only connection in the
/// worker thread (a QSqlDatabase may only be used by the thread that opened it), so a slow or
/// unreachable server never blocks the GUI. Results come back as queued signals on the
/// runner's thread.
///
/// Only the latest run reports: run() while another run is still going supersedes it, and the
/// older run's result is dropped (it also stops at its next step when it can). Destroying the
/// runner waits for runs in progress to end, bounded by the connection's connect timeout.
class DoctorRunner : public QObject {
    Q_OBJECT

public:
    explicit DoctorRunner(QObject* parent = nullptr);
    ~DoctorRunner() override;

    void setOptions(const store::DoctorOptions& options) { m_options = options; }
    [[nodiscard]] store::DoctorOptions options() const { return m_options; }

    /// Starts a run on the database at urlText (a URL as DatabaseUrl::parse takes it). Always
    /// answers asynchronously, with finished() or failed(), a malformed URL included.
    void run(const QString& urlText);
    /// Drops the result of the run in progress, if any: neither signal will come for it.
    void cancel();
    [[nodiscard]] bool isRunning() const { return m_running; }

Q_SIGNALS:
    void started(const QString& urlText);
    void finished(const voxtrack::store::DoctorReport& report);
    /// The doctor could not run: a bad URL, an unreachable server, not a conversation database…
    void failed(const voxtrack::Error& error);

private:
    void deliver(quint64 generation, const Expected<store::DoctorReport>& result);

    store::DoctorOptions m_options;
    QThreadPool m_pool;
    /// Incremented by every run() and cancel(); a result of an older generation is stale.
    std::atomic<quint64> m_generation {0};
    bool m_running = false;
};

} // namespace voxtrack::models
