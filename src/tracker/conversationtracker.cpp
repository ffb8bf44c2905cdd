// SPDX-License-Identifier: MIT
#include "tracker/conversationtracker.h"

#include "store/connection.h"
#include "store/migrator.h"
#include "tracker/journal.h"
#include "tracker/logging.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QThread>
#include <QTimeZone>
#include <QtEndian>

#include <chrono>

namespace voxtrack::tracker {

class WriterConnection {
public:
    std::unique_ptr<store::Connection> connection;
    std::unique_ptr<BatchWriter> writer;
};

namespace {

QDateTime nowUtc()
{
    return QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch(), Qt::UTC);
}

/// A random (version 4) UUID from the fast global generator: no system call per message.
QUuid randomUuid()
{
    quint64 parts[2];
    QRandomGenerator::global()->fillRange(parts);
    QByteArray bytes(reinterpret_cast<const char*>(parts), sizeof parts);
    bytes[6] = char((bytes[6] & 0x0F) | 0x40);
    bytes[8] = char((bytes[8] & 0x3F) | 0x80);
    return QUuid::fromRfc4122(bytes);
}

QByteArray journalPayload(quint64 ticket, const Command& command)
{
    QByteArray payload(8, Qt::Uninitialized);
    qToLittleEndian<quint64>(ticket, payload.data());
    payload += encodeCommand(command);
    return payload;
}

} // namespace

ConversationTracker::ConversationTracker(TrackerOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_options.maxBatch = std::max(1, m_options.maxBatch);
    m_options.memoryLimit = std::max(m_options.maxBatch, m_options.memoryLimit);
    m_connectDelayMs = std::max(1, m_options.retryInitialMs);
}

ConversationTracker::~ConversationTracker()
{
    stop(5000);
}

Status ConversationTracker::start()
{
    if (m_started)
        return {};
    if (!m_options.journalDirectory.isEmpty()) {
        auto journal = Journal::open(m_options.journalDirectory);
        if (!journal)
            return journal.error();
        m_journal = std::move(*journal);
        m_position = m_journal->checkpoint();
        m_writtenOffset.store(m_position);
        m_recoveryEnd = m_journal->endOffset();
        if (m_recoveryEnd > m_position)
            qCInfo(lcTracker).noquote() << "replaying" << (m_recoveryEnd - m_position)
                                        << "journaled bytes not yet in the database";
        m_journalThread = QThread::create([this] { journalLoop(); });
        m_journalThread->setObjectName(QStringLiteral("voxtrack-journal"));
        m_journalThread->start();
    }
    m_writerThread = QThread::create([this] { writerLoop(); });
    m_writerThread->setObjectName(QStringLiteral("voxtrack-writer"));
    m_writerThread->start();
    m_started = true;
    return {};
}

bool ConversationTracker::stop(int timeoutMs)
{
    if (!m_started)
        return true;
    {
        std::lock_guard lock(m_mutex);
        m_acceptingStopped = true;
    }
    const quint64 target = lastTicket();
    const bool drained = waitForPersisted(target, timeoutMs);
    {
        std::lock_guard lock(m_mutex);
        std::lock_guard writerLock(m_writerMutex);
        m_stopThreads = true;
    }
    m_accepted.notify_all();
    m_writerWake.notify_all();
    for (QThread* thread : {m_journalThread, m_writerThread}) {
        if (thread) {
            thread->wait();
            delete thread;
        }
    }
    m_journalThread = nullptr;
    m_writerThread = nullptr;
    m_started = false;
    if (!drained) {
        const quint64 left = target - persistedTicket();
        if (m_journal)
            qCWarning(lcTracker) << left
                                 << "commands were not written before the stop; the journal keeps them for "
                                    "the next start";
        else
            qCCritical(lcTracker) << left << "commands were not written before the stop and are lost (no journal)";
    }
    return drained;
}

Error ConversationTracker::stoppedError()
{
    return {QStringLiteral("tracker.stopped"),
        tr("The tracker is shutting down and takes no more messages: reconnect to another server.")};
}

Expected<quint64> ConversationTracker::enqueueLocked(Command command)
{
    if (m_acceptingStopped)
        return stoppedError();
    if (!m_journal
        && m_nextTicket - 1 - m_persistedTicket.load(std::memory_order_relaxed) >= quint64(m_options.memoryLimit)) {
        m_metrics.countError(QStringLiteral("tracker.overloaded"));
        return Error {QStringLiteral("tracker.overloaded"),
            tr("The database is behind by %1 messages and there is no journal to hold more: try again "
               "later, or run the server with a journal.")
                .arg(m_options.memoryLimit)};
    }
    const quint64 ticket = m_nextTicket++;
    m_incoming.push_back({ticket, -1, -1, std::move(command)});
    m_lastAcceptedTicket.store(ticket, std::memory_order_relaxed);
    m_accepted.notify_one();
    return ticket;
}

Expected<StartedSession> ConversationTracker::startSession(
    const QString& sessionId, const QString& userId, const QJsonObject& metadata)
{
    if (sessionId.isEmpty() || userId.isEmpty()) {
        return Error {
            QStringLiteral("tracker.invalid"), tr("A session needs a session id and a user id: neither may be empty.")};
    }
    const QDateTime now = nowUtc();
    std::lock_guard lock(m_mutex);
    if (m_acceptingStopped)
        return stoppedError();
    if (m_sessions.contains(sessionId)) {
        return Error {QStringLiteral("tracker.session_exists"),
            tr("The session %1 is already open: use a new session id.").arg(sessionId)};
    }
    auto ticket = enqueueLocked(StartSession {sessionId, userId, now, metadata});
    if (!ticket)
        return ticket.error();
    m_sessions.insert(sessionId, SessionState {userId, now, 1, 0, {}});
    m_metrics.sessionsStarted.fetch_add(1, std::memory_order_relaxed);
    return StartedSession {now, *ticket};
}

Expected<TrackedMessage> ConversationTracker::trackMessage(const QString& sessionId, Role role, const QString& content,
    const QString& audioUrl, const QJsonObject& metadata, const QUuid& messageId)
{
    const QDateTime now = nowUtc();
    if (sessionId.isEmpty()) {
        return Error {
            QStringLiteral("tracker.invalid"), tr("A message needs the id of its session: the session id is empty.")};
    }
    const QUuid id = messageId.isNull() ? randomUuid() : messageId;
    std::lock_guard lock(m_mutex);
    if (m_acceptingStopped)
        return stoppedError();
    const auto session = m_sessions.find(sessionId);
    if (session == m_sessions.end()) {
        return Error {QStringLiteral("tracker.unknown_session"),
            tr("There is no open session %1: start the session before its messages, and send nothing "
               "after its end.")
                .arg(sessionId)};
    }
    if (const auto known = session->messages.constFind(id); known != session->messages.cend()) {
        TrackedMessage again = *known;
        again.duplicate = true;
        return again;
    }
    MessageRecord record;
    record.sessionId = sessionId;
    record.userId = session->userId;
    record.role = role;
    record.content = content;
    record.audioUrl = audioUrl;
    record.metadata = metadata;
    record.createdAt = now;
    record.messageId = id;
    record.seq = session->nextSeq;
    auto ticket = enqueueLocked(TrackMessage {std::move(record)});
    if (!ticket)
        return ticket.error();
    const TrackedMessage tracked {id, session->nextSeq, now, *ticket, false};
    ++session->nextSeq;
    ++session->messageCount;
    session->messages.insert(id, tracked);
    m_metrics.messagesReceived.fetch_add(1, std::memory_order_relaxed);
    return tracked;
}

Expected<EndedSession> ConversationTracker::endSession(const QString& sessionId, EndReason reason)
{
    QDateTime now = nowUtc();
    std::lock_guard lock(m_mutex);
    if (m_acceptingStopped)
        return stoppedError();
    const auto session = m_sessions.find(sessionId);
    if (session == m_sessions.end()) {
        return Error {QStringLiteral("tracker.unknown_session"),
            tr("There is no open session %1 to end: it was never started or has ended already.").arg(sessionId)};
    }
    if (now < session->startedAt)
        now = session->startedAt;
    EndSession end {sessionId, session->startedAt, now, session->messageCount, reason};
    const double duration = end.durationSeconds();
    auto ticket = enqueueLocked(std::move(end));
    if (!ticket)
        return ticket.error();
    EndedSession ended {session->startedAt, now, duration, session->messageCount, *ticket};
    m_sessions.erase(session);
    m_metrics.sessionsEnded.fetch_add(1, std::memory_order_relaxed);
    return ended;
}

QStringList ConversationTracker::activeSessions() const
{
    std::lock_guard lock(m_mutex);
    return m_sessions.keys();
}

int ConversationTracker::activeSessionCount() const
{
    std::lock_guard lock(m_mutex);
    return int(m_sessions.size());
}

quint64 ConversationTracker::lastTicket() const
{
    return m_lastAcceptedTicket.load();
}

quint64 ConversationTracker::queueDepth() const
{
    const quint64 last = lastTicket();
    const quint64 persisted = persistedTicket();
    return last > persisted ? last - persisted : 0;
}

qint64 ConversationTracker::journalPendingBytes() const
{
    return m_journal ? std::max<qint64>(0, m_journal->endOffset() - m_writtenOffset.load()) : 0;
}

bool ConversationTracker::waitForPersisted(quint64 ticket, int timeoutMs) const
{
    std::unique_lock lock(m_persistedMutex);
    return m_persistedWake.wait_for(
        lock, std::chrono::milliseconds(timeoutMs), [&] { return m_persistedTicket.load() >= ticket; });
}

void ConversationTracker::journalLoop()
{
    int delay = m_options.retryInitialMs;
    // Swapped with m_incoming: both vectors keep their capacity, so accepting a command
    // allocates nothing for the queue in the steady state.
    std::vector<Pending> taken;
    while (true) {
        if (taken.empty()) {
            std::unique_lock lock(m_mutex);
            m_accepted.wait(lock, [&] { return !m_incoming.empty() || m_stopThreads.load(); });
            if (m_incoming.empty())
                return; // stopping, and everything accepted is journaled
            taken.swap(m_incoming);
        }
        QList<QByteArray> payloads;
        payloads.reserve(qsizetype(taken.size()));
        for (const Pending& pending : taken)
            payloads << journalPayload(pending.ticket, pending.command);
        QList<qint64> offsets;
        if (Status status = m_journal->append(payloads, &offsets, m_options.syncJournal); !status.isNull()) {
            m_metrics.countError(status.code);
            qCCritical(lcJournal).noquote() << status.message;
            if (m_stopThreads.load()) {
                qCCritical(lcJournal) << taken.size() << "accepted commands could not be journaled at the stop";
                return;
            }
            QThread::msleep(ulong(delay));
            delay = std::min(delay * 2, m_options.retryMaxMs);
            continue; // keep `taken` and try again: nothing accepted is dropped
        }
        delay = m_options.retryInitialMs;
        const qint64 end = m_journal->endOffset();
        const quint64 ticket = taken.back().ticket;
        // Durable before the writer can see them, so durable(t) always precedes persisted(t).
        m_durableTicket.store(ticket);
        Q_EMIT durable(ticket);
        {
            std::lock_guard lock(m_writerMutex);
            for (qsizetype i = 0; i < offsets.size(); ++i) {
                Pending& pending = taken[size_t(i)];
                pending.offset = offsets.at(i);
                pending.next = i + 1 < offsets.size() ? offsets.at(i + 1) : end;
                // Past the memory bound the writer reads the commands back from the journal.
                if (m_toWrite.size() < size_t(m_options.memoryLimit))
                    m_toWrite.push_back(std::move(pending));
            }
        }
        taken.clear();
        m_writerWake.notify_one();
    }
}

bool ConversationTracker::sleepUnlessStopping(int ms)
{
    std::unique_lock lock(m_writerMutex);
    m_writerWake.wait_for(lock, std::chrono::milliseconds(ms), [&] { return m_stopThreads.load(); });
    return !m_stopThreads.load();
}

bool ConversationTracker::connectWriter()
{
    auto connection = store::Connection::open(m_options.database);
    if (!connection) {
        m_metrics.countError(connection.error().code);
        if (m_metrics.databaseUp.exchange(0) != 0) // up, or not yet known: report the change once
            Q_EMIT databaseStateChanged(false, connection.error().message);
        qCWarning(lcWriter).noquote() << connection.error().message;
        return false;
    }
    if (m_options.migrate) {
        const auto migrated = store::Migrator(**connection).migrate();
        if (!migrated) {
            m_metrics.countError(migrated.error().code);
            qCWarning(lcWriter).noquote() << migrated.error().message;
            return false;
        }
    }
    auto writer = BatchWriter::create(**connection, m_options.postgresPath);
    if (!writer) {
        qCCritical(lcWriter).noquote() << writer.error().message;
        return false;
    }
    m_writer = std::make_unique<WriterConnection>();
    m_writer->connection = std::move(*connection);
    m_writer->writer = std::move(*writer);
    if (m_metrics.databaseUp.exchange(1) != 1) {
        qCInfo(lcWriter).noquote() << "writing to" << m_options.database.toDisplayString();
        Q_EMIT databaseStateChanged(true, QString());
    }
    return true;
}

bool ConversationTracker::gather(std::vector<Pending>& batch)
{
    const size_t maxBatch = size_t(m_options.maxBatch);
    const auto delay = std::chrono::milliseconds(m_options.maxDelayMs);
    if (!m_journal) {
        // Take the whole queue in one swap (the callers' lock is held for O(1)), then batch from
        // the writer's own copy.
        if (m_taken.empty()) {
            std::unique_lock lock(m_mutex);
            if (m_incoming.empty()) {
                m_accepted.wait_for(
                    lock, std::chrono::milliseconds(100), [&] { return !m_incoming.empty() || m_stopThreads.load(); });
            }
            if (!m_incoming.empty() && m_incoming.size() < maxBatch && !m_stopThreads.load())
                m_accepted.wait_for(lock, delay, [&] { return m_incoming.size() >= maxBatch || m_stopThreads.load(); });
            m_taken.swap(m_incoming);
        }
        while (m_takenAt < m_taken.size() && batch.size() < maxBatch)
            batch.push_back(std::move(m_taken[m_takenAt++]));
        if (m_takenAt == m_taken.size()) {
            m_taken.clear();
            m_takenAt = 0;
        }
        if (!batch.empty()) {
            m_durableTicket.store(batch.back().ticket);
            Q_EMIT durable(batch.back().ticket);
        }
        return !batch.empty();
    }

    const bool replaying = m_position < m_recoveryEnd;
    {
        std::unique_lock lock(m_writerMutex);
        auto ready = [&] {
            while (!m_toWrite.empty() && m_toWrite.front().offset < m_position)
                m_toWrite.pop_front();
            return replaying || !m_toWrite.empty() || m_journal->endOffset() > m_position || m_stopThreads.load();
        };
        if (!ready())
            m_writerWake.wait_for(lock, std::chrono::milliseconds(100), ready);
        if (!replaying && !m_toWrite.empty() && m_toWrite.front().offset == m_position) {
            if (m_toWrite.size() < maxBatch && !m_stopThreads.load())
                m_writerWake.wait_for(
                    lock, delay, [&] { return m_toWrite.size() >= maxBatch || m_stopThreads.load(); });
            qint64 expected = m_position;
            while (!m_toWrite.empty() && batch.size() < maxBatch && m_toWrite.front().offset == expected) {
                expected = m_toWrite.front().next;
                batch.push_back(std::move(m_toWrite.front()));
                m_toWrite.pop_front();
            }
            return !batch.empty();
        }
    }
    // Spilled or replayed commands: read them back from the journal.
    const qint64 limit = replaying ? m_recoveryEnd : m_journal->endOffset();
    if (m_position >= limit)
        return false;
    auto records = m_journal->read(m_position, int(maxBatch));
    if (!records) {
        m_metrics.countError(records.error().code);
        qCCritical(lcJournal).noquote() << records.error().message;
        sleepUnlessStopping(m_options.retryMaxMs);
        return false;
    }
    for (const Journal::Record& record : std::as_const(*records)) {
        if (record.offset >= limit)
            break;
        if (record.payload.size() < 8) {
            m_metrics.countError(QStringLiteral("journal.corrupt"));
            qCCritical(lcJournal) << "a journal record without its ticket at offset" << record.offset;
            m_position = record.next;
            continue;
        }
        auto command = decodeCommand(QByteArrayView(record.payload).sliced(8));
        if (!command) {
            m_metrics.countError(command.error().code);
            qCCritical(lcJournal).noquote() << command.error().message << "at offset" << record.offset;
            continue;
        }
        // Tickets from an earlier run mean nothing to this one's listeners.
        const quint64 ticket
            = record.offset < m_recoveryEnd ? 0 : qFromLittleEndian<quint64>(record.payload.constData());
        batch.push_back({ticket, record.offset, record.next, std::move(*command)});
    }
    if (batch.empty() && !records->isEmpty()) {
        // Only undecodable records: step over them so the writer does not stall.
        m_position = records->constLast().next;
    }
    return !batch.empty();
}

bool ConversationTracker::writeWithRetry(std::vector<Pending>& batch, bool idempotent)
{
    int delay = m_options.retryInitialMs;
    std::vector<Command> commands;
    commands.reserve(batch.size());
    for (const Pending& pending : batch)
        commands.push_back(pending.command);
    while (true) {
        if (!m_writer && !connectWriter()) {
            if (!sleepUnlessStopping(delay))
                return false;
            delay = std::min(delay * 2, m_options.retryMaxMs);
            continue;
        }
        QElapsedTimer timer;
        timer.start();
        const Status status = m_writer->writer->write(commands, idempotent);
        if (status.isNull()) {
            m_metrics.writeSeconds.observe(double(timer.nsecsElapsed()) / 1e9);
            return true;
        }
        m_metrics.countError(status.code);
        if (status.code == u"db.constraint") {
            // The data breaks a constraint: retrying the batch cannot help. Write command by
            // command so the others go in, and set aside the ones the database refuses.
            qCWarning(lcWriter).noquote() << status.message << "- writing the batch one command at a time";
            for (const Command& command : commands) {
                const Status single = m_writer->writer->write(std::span<const Command>(&command, 1), true);
                if (single.isNull())
                    continue;
                if (single.code != u"db.constraint") {
                    m_writer.reset();
                    idempotent = true;
                    break;
                }
                m_metrics.deadLettered.fetch_add(1, std::memory_order_relaxed);
                qCCritical(lcWriter).noquote() << "refused by the database and set aside:" << single.message;
                if (m_journal) {
                    QFile deadLetters(QDir(m_journal->directory()).filePath(QStringLiteral("dead-letters.cbor")));
                    if (deadLetters.open(QIODevice::Append))
                        deadLetters.write(journalPayload(0, command));
                }
            }
            if (m_writer)
                return true;
            continue;
        }
        qCWarning(lcWriter).noquote() << status.message << "- retrying in" << delay << "ms";
        m_metrics.writeRetries.fetch_add(1, std::memory_order_relaxed);
        if (m_metrics.databaseUp.exchange(0) != 0)
            Q_EMIT databaseStateChanged(false, status.message);
        m_writer.reset();
        idempotent = true; // the failed transaction may or may not have committed
        if (!sleepUnlessStopping(delay))
            return false;
        delay = std::min(delay * 2, m_options.retryMaxMs);
    }
}

void ConversationTracker::afterCommit(const std::vector<Pending>& batch)
{
    quint64 messages = 0;
    quint64 ticket = 0;
    for (const Pending& pending : batch) {
        if (std::holds_alternative<TrackMessage>(pending.command))
            ++messages;
        ticket = std::max(ticket, pending.ticket);
    }
    m_metrics.messagesPersisted.fetch_add(messages, std::memory_order_relaxed);
    m_metrics.commandsPersisted.fetch_add(batch.size(), std::memory_order_relaxed);
    m_metrics.batches.fetch_add(1, std::memory_order_relaxed);
    m_metrics.batchRows.observe(double(batch.size()));
    logIndicators(batch);

    if (m_journal) {
        m_position = batch.back().next;
        m_writtenOffset.store(m_position);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - m_lastCheckpointMs >= 200 || m_stopThreads.load()) {
            if (Status status = m_journal->setCheckpoint(m_position); !status.isNull())
                qCWarning(lcJournal).noquote() << status.message;
            m_lastCheckpointMs = now;
        }
    }
    if (ticket > 0) {
        {
            std::lock_guard lock(m_persistedMutex);
            if (ticket > m_persistedTicket.load())
                m_persistedTicket.store(ticket);
        }
        m_persistedWake.notify_all();
        Q_EMIT persisted(ticket);
    }
}

void ConversationTracker::logIndicators(const std::vector<Pending>& batch) const
{
    if (!lcTracker().isInfoEnabled())
        return;
    for (const Pending& pending : batch) {
        std::visit(
            [](const auto& c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, StartSession>)
                    qCInfo(lcTracker).noquote() << "Started session" << c.sessionId << "for user" << c.userId;
                else if constexpr (std::is_same_v<T, TrackMessage>)
                    qCInfo(lcTracker).noquote().nospace()
                        << "Saved " << roleName(c.message.role) << " message for session " << c.message.sessionId;
                else
                    qCInfo(lcTracker).noquote().nospace()
                        << "Ended session " << c.sessionId
                        << " (duration: " << QString::number(c.durationSeconds(), 'f', 1)
                        << "s, messages: " << c.messageCount << ", reason: " << endReasonName(c.reason) << ')';
            },
            pending.command);
    }
}

void ConversationTracker::writerLoop()
{
    std::vector<Pending> batch;
    while (true) {
        if (!m_recovered && (!m_journal || m_position >= m_recoveryEnd)) {
            // Everything of earlier runs is in: close what they left open, before this run writes.
            if (!m_writer && !connectWriter()) {
                if (!sleepUnlessStopping(m_connectDelayMs))
                    break;
                m_connectDelayMs = std::min(m_connectDelayMs * 2, m_options.retryMaxMs);
                continue;
            }
            m_connectDelayMs = m_options.retryInitialMs;
            if (m_options.recoverOpenSessions) {
                auto recovered = m_writer->writer->recoverOpenSessions();
                if (!recovered) {
                    qCWarning(lcWriter).noquote() << recovered.error().message;
                    m_writer.reset();
                    continue;
                }
                if (!recovered->isEmpty()) {
                    m_metrics.sessionsRecovered.fetch_add(quint64(recovered->size()));
                    qCInfo(lcTracker).noquote()
                        << "Closed" << recovered->size() << "session(s) left open by an earlier run as 'recovered'";
                    Q_EMIT sessionsRecovered(*recovered);
                }
            }
            m_recovered = true;
        }
        batch.clear();
        if (!gather(batch)) {
            if (m_stopThreads.load())
                break;
            continue;
        }
        const bool idempotent = batch.front().offset >= 0 && batch.front().offset < m_recoveryEnd;
        if (!writeWithRetry(batch, idempotent))
            break; // stopping with the database away: the journal keeps the rest
        afterCommit(batch);
    }
    if (m_journal && m_writer) {
        if (Status status = m_journal->setCheckpoint(m_position); !status.isNull())
            qCWarning(lcJournal).noquote() << status.message;
    }
    m_writer.reset();
}

} // namespace voxtrack::tracker
