// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/queries.h"

#include <QObject>

#include <functional>
#include <memory>

class QThread;

namespace voxtrack::models {

/// A thread of its own holding one read-only database connection and its store::SessionPager,
/// for a model's queries: a QSqlDatabase may only be used by the thread that opened it, and a
/// slow query must never block the GUI. Requests run one after another in the order made. The
/// connection opens with the first one; a request that fails closes it, and the next opens a
/// new one (a server restarted meanwhile is reached again).
class DatabaseThread : public QObject {
    Q_OBJECT

public:
    explicit DatabaseThread(DatabaseUrl url, QObject* parent = nullptr);
    /// Waits for the request in progress, drops the rest and closes the connection.
    ~DatabaseThread() override;

    [[nodiscard]] const DatabaseUrl& url() const { return m_url; }

    /// On the database thread: unless stillWanted() says no by then, work(pager) — or the
    /// reason there is no pager —, then deliver(result) in receiver's thread.
    template <typename Result, typename Work, typename Deliver>
    void request(QObject* receiver, std::function<bool()> stillWanted, Work work, Deliver deliver)
    {
        post([this, receiver, stillWanted = std::move(stillWanted), work = std::move(work),
                 deliver = std::move(deliver)](const Expected<store::SessionPager*>& pager) {
            if (!stillWanted())
                return;
            Expected<Result> result = pager ? work(**pager) : Expected<Result>(pager.error());
            if (!result)
                dropConnection();
            QMetaObject::invokeMethod(
                receiver, [deliver, result = std::move(result)] { deliver(result); }, Qt::QueuedConnection);
        });
    }

private:
    class Worker;
    using Job = std::function<void(const Expected<store::SessionPager*>& pager)>;

    void post(Job job);
    /// From a job: close the connection so that the next job opens a new one.
    void dropConnection();

    DatabaseUrl m_url;
    QThread* m_thread;
    Worker* m_worker;
};

} // namespace voxtrack::models
