// SPDX-License-Identifier: MIT
#include "server/conversationserver.h"

#include "core/protocol.h"
#include "server/connectionworker.h"
#include "server/logging.h"
#include "tracker/conversationtracker.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QPromise>
#include <QTcpServer>
#include <QThread>

#include <map>

namespace voxtrack::server {

namespace {

/// Hands accepted sockets' descriptors on, so each connection lives in its worker's thread.
class Listener : public QTcpServer {
public:
    explicit Listener(std::function<void(qintptr)> take, QObject* parent)
        : QTcpServer(parent)
        , m_take(std::move(take))
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override { m_take(descriptor); }

private:
    std::function<void(qintptr)> m_take;
};

void appendMetric(QByteArray& out, const char* name, const char* type, const char* help, double value)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += QByteArray::number(value, 'g', 15);
    out += '\n';
}

void appendHistogram(QByteArray& out, const char* name, const char* help, const tracker::BucketHistogram& histogram)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " histogram\n";
    const QList<quint64> counts = histogram.cumulativeCounts();
    const auto bounds = histogram.upperBounds();
    for (qsizetype i = 0; i < counts.size(); ++i) {
        out += name;
        out += "_bucket{le=\"";
        out += i < qsizetype(bounds.size()) ? QByteArray::number(bounds[size_t(i)], 'g', 15) : QByteArray("+Inf");
        out += "\"} ";
        out += QByteArray::number(counts.at(i));
        out += '\n';
    }
    out += name;
    out += "_sum ";
    out += QByteArray::number(histogram.sum(), 'g', 15);
    out += '\n';
    out += name;
    out += "_count ";
    out += QByteArray::number(histogram.count());
    out += '\n';
}

} // namespace

struct ConversationServer::ErrorCounts {
    QMutex mutex;
    std::map<QString, quint64> counts;
};

bool ServerOptions::Faults::enable(QStringView name)
{
    if (name == u"agent-role") {
        agentWrongRole = true;
        return true;
    }
    if (name == u"never-end") {
        neverEnd = true;
        return true;
    }
    if (name.startsWith(u"drop-every=")) {
        bool ok = false;
        const int every = name.mid(11).toInt(&ok);
        if (!ok || every < 1)
            return false;
        dropEveryNth = every;
        return true;
    }
    return false;
}

ConversationServer::ConversationServer(
    ServerOptions options, tracker::ConversationTracker* tracker, std::shared_ptr<const Agent> agent, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_tracker(tracker)
    , m_agent(std::move(agent))
    , m_counters(std::make_unique<ServerCounters>())
    , m_errors(std::make_unique<ErrorCounts>())
{
    m_speech.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    m_speech.setObjectName(QStringLiteral("voxtrack-speech"));
}

std::optional<QFuture<SpokenReply>> ConversationServer::speak(const QString& text) const
{
    if (!m_options.speaker || !m_audio || text.isEmpty())
        return std::nullopt;
    auto promise = std::make_shared<QPromise<SpokenReply>>();
    QFuture<SpokenReply> future = promise->future();
    promise->start();
    m_speech.start([speaker = m_options.speaker, text, promise] {
        const auto pcm = speaker(text);
        promise->addResult(pcm ? SpokenReply {*pcm, {}} : SpokenReply {{}, pcm.errorText()});
        promise->finish();
    });
    return future;
}

ConversationServer::~ConversationServer()
{
    shutdown(1000);
}

Status ConversationServer::listen()
{
    if (!m_options.audioDirectory.isEmpty()) {
        auto store = AudioStore::open(m_options.audioDirectory);
        if (!store)
            return store.error();
        m_audio = std::move(*store);
    }
    const int threads
        = m_options.workerThreads > 0 ? m_options.workerThreads : std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < threads; ++i) {
        auto* thread = new QThread;
        thread->setObjectName(QStringLiteral("voxtrack-conn-%1").arg(i));
        auto* worker = new ConnectionWorker(m_options, m_tracker, m_agent, this, m_counters.get());
        worker->moveToThread(thread);
        connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        QMetaObject::invokeMethod(worker, &ConnectionWorker::initialize, Qt::BlockingQueuedConnection);
        m_threads << thread;
        m_workers << worker;
    }
    m_listener = new Listener([this](qintptr descriptor) { acceptDescriptor(descriptor); }, this);
    m_listener->setMaxPendingConnections(1024);
    // Thousands of clients may connect at once; with Qt's default backlog of 50 the kernel drops
    // the overflow and those clients retry a second later. The kernel caps this at somaxconn.
    m_listener->setListenBacklogSize(4096);
    if (!m_listener->listen(m_options.address, m_options.port)) {
        return {QStringLiteral("server.listen"),
            QCoreApplication::translate("voxtrack::server::ConversationServer",
                "Cannot listen on %1:%2 (%3): choose another --listen address or port, "
                "or stop what uses it.")
                .arg(m_options.address.toString())
                .arg(m_options.port)
                .arg(m_listener->errorString())};
    }
    m_httpBase = httpUrl().toString();
    qCInfo(lcServer).noquote() << "listening on" << conversationUrl().toString() << "with" << threads
                               << "worker thread(s)," << (m_options.noAuth ? "no authentication" : "bearer tokens");
    return {};
}

void ConversationServer::acceptDescriptor(qintptr descriptor)
{
    ConnectionWorker* worker = m_workers.at(m_nextWorker);
    m_nextWorker = (m_nextWorker + 1) % int(m_workers.size());
    QMetaObject::invokeMethod(
        worker, [worker, descriptor] { worker->takeDescriptor(descriptor); }, Qt::QueuedConnection);
}

QUrl ConversationServer::conversationUrl() const
{
    QUrl url = httpUrl();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(protocol::conversationPath);
    return url;
}

QString ConversationServer::audioUrl(const QUuid& messageId) const
{
    return m_httpBase + AudioStore::pathOf(messageId);
}

QUrl ConversationServer::httpUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    QHostAddress address = m_options.address;
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv4)
        address = QHostAddress::LocalHost;
    else if (address == QHostAddress::AnyIPv6)
        address = QHostAddress::LocalHostIPv6;
    url.setHost(address.toString());
    url.setPort(port());
    return url;
}

quint16 ConversationServer::port() const
{
    return m_listener ? m_listener->serverPort() : m_options.port;
}

void ConversationServer::shutdown(int timeoutMs)
{
    if (m_workers.isEmpty())
        return;
    if (m_listener)
        m_listener->close();
    m_speech.clear(); // replies not yet spoken will not be sent: the sessions end now
    quint64 last = 0;
    for (ConnectionWorker* worker : std::as_const(m_workers)) {
        quint64 ticket = 0;
        QMetaObject::invokeMethod(
            worker, [worker, &ticket] { ticket = worker->endAllSessions(); }, Qt::BlockingQueuedConnection);
        last = std::max(last, ticket);
    }
    // The session.ended frames go out once the journal holds the ends.
    QElapsedTimer timer;
    timer.start();
    while (m_tracker->durableTicket() < last && timer.elapsed() < timeoutMs)
        QThread::msleep(5);
    for (ConnectionWorker* worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(worker, &ConnectionWorker::closeAll, Qt::BlockingQueuedConnection);
    // Let the close frames leave.
    QThread::msleep(50);
    for (QThread* thread : std::as_const(m_threads)) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    m_threads.clear();
    m_workers.clear();
    m_speech.waitForDone();
}

void ConversationServer::countError(const QString& code) const
{
    QMutexLocker locker(&m_errors->mutex);
    ++m_errors->counts[code];
}

QByteArray ConversationServer::healthText() const
{
    const bool up = m_tracker->isDatabaseUp();
    const QJsonObject health {{QStringLiteral("status"), up ? QStringLiteral("ok") : QStringLiteral("degraded")},
        {QStringLiteral("database"), up ? QStringLiteral("up") : QStringLiteral("down")},
        {QStringLiteral("sessions"), m_counters->activeSessions.load()},
        {QStringLiteral("queue_depth"), qint64(m_tracker->queueDepth())},
        {QStringLiteral("journal_pending_bytes"), m_tracker->journalPendingBytes()},
        {QStringLiteral("version"), QStringLiteral(VOXTRACK_VERSION)}};
    return QJsonDocument(health).toJson(QJsonDocument::Compact) + '\n';
}

QByteArray ConversationServer::metricsText() const
{
    const tracker::TrackerMetrics& t = m_tracker->metrics();
    QByteArray out;
    out.reserve(4096);
    appendMetric(
        out, "voxtrack_sessions_active", "gauge", "Sessions open on this server.", m_counters->activeSessions.load());
    appendMetric(out, "voxtrack_sessions_started_total", "counter", "Sessions started.", double(t.sessionsStarted));
    appendMetric(out, "voxtrack_sessions_ended_total", "counter", "Sessions ended.", double(t.sessionsEnded));
    appendMetric(out, "voxtrack_sessions_recovered_total", "counter",
        "Sessions left open by an earlier run and closed as recovered.", double(t.sessionsRecovered));
    appendMetric(out, "voxtrack_messages_received_total", "counter", "Messages accepted for tracking.",
        double(t.messagesReceived));
    appendMetric(out, "voxtrack_messages_persisted_total", "counter", "Messages committed to the database.",
        double(t.messagesPersisted));
    appendMetric(out, "voxtrack_queue_depth", "gauge", "Accepted commands not yet in the database.",
        double(m_tracker->queueDepth()));
    appendMetric(out, "voxtrack_journal_pending_bytes", "gauge", "Journal bytes not yet in the database.",
        double(m_tracker->journalPendingBytes()));
    appendMetric(out, "voxtrack_database_up", "gauge", "1 when the writer is connected to the database.",
        t.databaseUp.load() == 1 ? 1 : 0);
    appendMetric(out, "voxtrack_write_retries_total", "counter", "Batches retried after a database failure.",
        double(t.writeRetries));
    appendMetric(out, "voxtrack_dead_lettered_total", "counter", "Commands the database refused, set aside.",
        double(t.deadLettered));
    appendMetric(
        out, "voxtrack_connections_total", "counter", "TCP connections accepted.", double(m_counters->connections));
    appendMetric(out, "voxtrack_frames_received_total", "counter", "WebSocket frames received.",
        double(m_counters->framesReceived));
    appendMetric(out, "voxtrack_frames_rejected_total", "counter", "Frames answered with an error frame.",
        double(m_counters->framesRejected));
    appendMetric(out, "voxtrack_audio_files_stored_total", "counter",
        "Utterances and spoken replies written to the audio store.", double(m_counters->audioFilesStored));
    appendMetric(out, "voxtrack_audio_bytes_stored_total", "counter", "Bytes of WAV files written to the audio store.",
        double(m_counters->audioBytesStored));
    appendMetric(out, "voxtrack_audio_requests_total", "counter", "Stored audio served over HTTP (200 or 206).",
        double(m_counters->audioRequests));
    appendHistogram(out, "voxtrack_batch_rows", "Commands per database transaction.", t.batchRows);
    appendHistogram(out, "voxtrack_write_seconds", "Time to write one batch, commit included.", t.writeSeconds);

    std::map<QString, quint64> errors;
    {
        QMutexLocker locker(&m_errors->mutex);
        errors = m_errors->counts;
    }
    const QHash<QString, quint64> trackerErrors = t.errors();
    for (auto it = trackerErrors.cbegin(); it != trackerErrors.cend(); ++it)
        errors[it.key()] += it.value();
    out += "# HELP voxtrack_errors_total Errors by stable code.\n# TYPE voxtrack_errors_total counter\n";
    for (const auto& [code, count] : errors)
        out += "voxtrack_errors_total{code=\"" + code.toUtf8() + "\"} " + QByteArray::number(count) + '\n';
    return out;
}

} // namespace voxtrack::server
