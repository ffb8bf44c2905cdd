// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QObject>

#include <functional>
#include <memory>

class QThread;

namespace voxtrack::store {
class Connection;
}

namespace voxtrack::models {

/// A thread of its own holding one read-only database connection, for a model's queries: a
/// QSqlDatabase may only be used by the thread that opened it, and a slow query must never
/// block the GUI. Jobs run one after another in the order posted. The connection opens with
/// the first job; a job that meets a broken connection calls dropConnection() and the next
/// job opens a new one.
class DatabaseThread : public QObject {
    Q_OBJECT

public:
    /// What a job gets: the connection, or why there is none.
    using Job = std::function<void(store::Connection* connection, const Error& openError)>;

    explicit DatabaseThread(DatabaseUrl url, QObject* parent = nullptr);
    /// Waits for the job in progress, drops the rest and closes the connection.
    ~DatabaseThread() override;

    [[nodiscard]] const DatabaseUrl& url() const { return m_url; }
    /// Runs job on the database thread.
    void post(Job job);
    /// From a job: close the connection so that the next job opens a new one.
    void dropConnection();

private:
    class Worker;
    DatabaseUrl m_url;
    QThread* m_thread;
    Worker* m_worker;
};

} // namespace voxtrack::models
