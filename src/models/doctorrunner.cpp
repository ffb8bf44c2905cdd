// SPDX-License-Identifier: MIT
#include "models/doctorrunner.h"

#include "core/databaseurl.h"
#include "store/connection.h"

#include <QCoreApplication>
#include <QMetaObject>

namespace voxtrack::models {

namespace {

Error cancelledError()
{
    return {QStringLiteral("doctor.cancelled"),
        QCoreApplication::translate("voxtrack::models::DoctorRunner", "The doctor run was cancelled.")};
}

} // namespace

DoctorRunner::DoctorRunner(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<voxtrack::Error>();
    qRegisterMetaType<voxtrack::store::DoctorReport>();
    qRegisterMetaType<voxtrack::store::CheckResult>();
    m_pool.setObjectName(QStringLiteral("voxtrack-doctor"));
}

DoctorRunner::~DoctorRunner()
{
    ++m_generation;
    m_pool.waitForDone();
}

void DoctorRunner::run(const QString& urlText)
{
    const quint64 generation = ++m_generation;
    m_running = true;
    Q_EMIT started(urlText);

    m_pool.start([this, generation, urlText, options = m_options] {
        auto stale = [this, generation] { return m_generation.load() != generation; };
        const Expected<store::DoctorReport> result = [&]() -> Expected<store::DoctorReport> {
            const auto url = DatabaseUrl::parse(urlText);
            if (!url)
                return url.error();
            if (stale())
                return cancelledError();
            auto connection = store::Connection::open(*url, store::Connection::Access::ReadOnly);
            if (!connection)
                return connection.error();
            if (stale())
                return cancelledError();
            store::Doctor doctor(**connection, options);
            return doctor.run();
        }();
        // Posted to the runner's thread; the runner outlives this task (its destructor waits
        // for the pool), and a posted call to a destroyed runner is discarded with it.
        QMetaObject::invokeMethod(
            this, [this, generation, result] { deliver(generation, result); }, Qt::QueuedConnection);
    });
}

void DoctorRunner::cancel()
{
    ++m_generation;
    m_running = false;
}

void DoctorRunner::deliver(quint64 generation, const Expected<store::DoctorReport>& result)
{
    if (generation != m_generation.load())
        return;
    m_running = false;
    if (result)
        Q_EMIT finished(*result);
    else
        Q_EMIT failed(result.error());
}

} // namespace voxtrack::models
