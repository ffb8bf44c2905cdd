// SPDX-License-Identifier: MIT
#include "models/databasethread.h"

#include "store/connection.h"

#include <QThread>

#include <atomic>
#include <optional>

namespace voxtrack::models {

class DatabaseThread::Worker : public QObject {
public:
    explicit Worker(DatabaseUrl url)
        : m_url(std::move(url))
    {
    }

    void run(const Job& job)
    {
        if (stopped.load())
            return;
        job(pager());
    }

    void close()
    {
        m_pager.reset();
        m_connection.reset();
    }

    std::atomic<bool> stopped {false};

private:
    /// The pager of the open connection, opening it (and reading its schema) when needed.
    Expected<store::SessionPager*> pager()
    {
        if (!m_connection) {
            auto opened = store::Connection::open(m_url, store::Connection::Access::ReadOnly);
            if (!opened)
                return opened.error();
            m_connection = std::move(*opened);
        }
        if (!m_pager) {
            auto created = store::SessionPager::create(*m_connection);
            if (!created)
                return created.error();
            m_pager.emplace(std::move(*created));
        }
        return &*m_pager;
    }

    DatabaseUrl m_url;
    std::unique_ptr<store::Connection> m_connection;
    std::optional<store::SessionPager> m_pager; ///< reads m_connection: reset before it
};

DatabaseThread::DatabaseThread(DatabaseUrl url, QObject* parent)
    : QObject(parent)
    , m_url(std::move(url))
    , m_thread(new QThread)
    , m_worker(new Worker(m_url))
{
    m_thread->setObjectName(QStringLiteral("voxtrack-db"));
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

DatabaseThread::~DatabaseThread()
{
    m_worker->stopped.store(true);
    QMetaObject::invokeMethod(m_worker, [worker = m_worker] { worker->close(); }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_worker;
    delete m_thread;
}

void DatabaseThread::post(Job job)
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, job = std::move(job)] { worker->run(job); }, Qt::QueuedConnection);
}

void DatabaseThread::dropConnection()
{
    m_worker->close(); // called from a job, so in the worker's thread
}

} // namespace voxtrack::models
