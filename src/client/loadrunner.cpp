// SPDX-License-Identifier: MIT
#include "client/loadrunner.h"

#include "client/loadrunner_p.h"
#include "core/jsontext.h"
#include "core/process.h"
#include "store/connection.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QHash>
#include <QRandomGenerator>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace voxtrack::client {

namespace {

/// A copy of the scenario whose regular expressions share nothing with the original, so
/// that each connection thread matches with its own.
Scenario detached(const Scenario& scenario)
{
    Scenario copy = scenario;
    for (Turn& turn : copy.turns) {
        if (turn.expect)
            turn.expect->regex = QRegularExpression(turn.expect->regex.pattern(), turn.expect->regex.patternOptions());
        for (Capture& capture : turn.captures)
            capture.regex = QRegularExpression(capture.regex.pattern(), capture.regex.patternOptions());
    }
    return copy;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The sessions of one connection thread.

SessionWorker::SessionWorker(LoadRunner* runner, const Scenario& scenario, const RunOptions& options, quint64 seed)
    : m_runner(runner)
    , m_scenario(detached(scenario))
    , m_options(options)
    , m_sent(runner->m_sent)
    , m_replies(runner->m_replies)
    , m_random(seed)
{
}

void SessionWorker::startSession(int n)
{
    auto* driver = new SessionDriver(this, n);
    m_drivers.insert(driver);
    driver->begin();
}

void SessionWorker::stopAll()
{
    m_stopping = true;
    const auto drivers = m_drivers;
    for (SessionDriver* driver : drivers)
        driver->stopGracefully();
}

void SessionWorker::abortAll()
{
    m_stopping = true;
    const auto drivers = m_drivers;
    for (SessionDriver* driver : drivers)
        driver->abortNow();
}

void SessionWorker::clear()
{
    const auto drivers = m_drivers;
    m_drivers.clear();
    qDeleteAll(drivers);
}

void SessionWorker::done(SessionDriver* driver, SessionOutcome outcome)
{
    m_drivers.remove(driver);
    driver->deleteLater();
    LoadRunner* runner = m_runner;
    QMetaObject::invokeMethod(
        runner, [runner, outcome = std::move(outcome)] { runner->onOutcome(outcome); }, Qt::QueuedConnection);
}

void SessionWorker::recordReply(qint64 microseconds)
{
    const std::lock_guard lock(m_window.mutex);
    m_window.replies.record(microseconds);
}

void SessionWorker::takeReplies(LatencyHistogram& into)
{
    const std::lock_guard lock(m_window.mutex);
    if (m_window.replies.isEmpty())
        return;
    into.merge(m_window.replies);
    m_window.replies.clear();
}

Expected<QByteArray> SessionWorker::speech(const QString& text, const speech::Voice& voice)
{
    const QString key = voice.name + u'/' + QString::number(voice.rate) + u'/' + text;
    if (const auto it = m_speech.constFind(key); it != m_speech.cend())
        return *it;
    auto pcm = speech::synthesize(text, voice);
    if (pcm)
        m_speech.insert(key, *pcm);
    return pcm;
}

int SessionWorker::think(const ThinkTime& time)
{
    if (time.isFixed())
        return time.minMs;
    return std::uniform_int_distribution<int>(time.minMs, time.maxMs)(m_random);
}

// ---------------------------------------------------------------------------------------------
// One conversation, in a connection thread.

SessionDriver::SessionDriver(SessionWorker* worker, int n)
    : QObject(worker)
    , m_worker(worker)
    , m_n(n)
{
    const Scenario& scenario = worker->scenario();
    m_userId = scenario.userIdFor(n);
    m_metadata = scenario.metadataFor(n);
    ClientOptions options;
    options.url = worker->options().url;
    options.bearerToken = worker->options().bearerToken;
    options.userId = m_userId;
    options.sessionMetadata = m_metadata;
    options.askPersisted = worker->options().askPersisted;
    m_client = std::make_unique<VoiceClient>(options);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &SessionDriver::onTimeout);
    connect(m_client.get(), &VoiceClient::started, this, [this] {
        m_timer.stop();
        nextTurn();
    });
    connect(m_client.get(), &VoiceClient::acked, this, [this](const QString& id) {
        if (m_state == State::Waiting && id == m_pendingId && turn().role != Role::User)
            turnDone();
    });
    connect(m_client.get(), &VoiceClient::replied, this, &SessionDriver::onReply);
    connect(m_client.get(), &VoiceClient::failed, this, &SessionDriver::onFailed);
    connect(m_client.get(), &VoiceClient::sessionEnded, this, [this](const protocol::SessionEnded& ended) {
        if (m_state != State::Ending && !m_stopping) {
            sessionError(QStringLiteral("session.ended_early"),
                tr("The server ended the session before its turns were over (reason %1).")
                    .arg(endReasonName(ended.reason)));
        }
        m_state = State::Ending;
        m_timer.start(m_worker->options().endTimeoutMs); // the close follows
    });
    connect(m_client.get(), &VoiceClient::closed, this, &SessionDriver::finish);
}

void SessionDriver::begin()
{
    m_state = State::Connecting;
    m_timer.start(m_worker->options().replyTimeoutMs);
    m_client->open();
}

const Turn& SessionDriver::turn() const
{
    return m_worker->scenario().turns.at(m_turnIndex);
}

QString SessionDriver::label() const
{
    return m_client->sessionId().isEmpty() ? QStringLiteral("#%1").arg(m_n) : m_client->sessionId();
}

void SessionDriver::nextTurn()
{
    if (m_stopping || m_worker->isStopping()) {
        endSession();
        return;
    }
    if (m_turnIndex >= m_worker->scenario().turns.size()) {
        m_allTurnsSaid = true;
        endSession();
        return;
    }
    const int pause = m_worker->think(turn().think);
    if (pause > 0) {
        m_state = State::Thinking;
        m_timer.start(pause);
    } else {
        sendTurn();
    }
}

void SessionDriver::sendTurn()
{
    const Turn& current = turn();
    const QString text = Scenario::substitute(current.say, m_captured, m_n, m_client->userId());
    qint64 audioMs = 0;
    if (current.voice) {
        const auto pcm = m_worker->speech(text, current.speaker);
        if (pcm) {
            const Pacing pacing = m_worker->scenario().audio.pacing;
            m_pendingId = m_client->speak(text, *pcm, pacing);
            if (pacing == Pacing::RealTime)
                audioMs = qint64(speech::durationSeconds(pcm->size()) * 1000);
        } else {
            // The voice was checked at load, so this is rare: the turn is said as text instead.
            m_pendingId = m_client->say(text, current.role, current.metadata);
            turnError(pcm.error().code, pcm.error().message);
        }
    } else {
        m_pendingId = m_client->say(text, current.role, current.metadata);
    }
    m_stepOf.insert(m_pendingId, ++m_step);
    m_worker->sent().fetch_add(1, std::memory_order_relaxed);
    m_state = State::Waiting;
    // In real time the audio takes its own duration to send before the reply can come.
    m_timer.start(int(m_worker->options().replyTimeoutMs + audioMs));
}

void SessionDriver::turnDone()
{
    m_timer.stop();
    m_pendingId.clear();
    if (++m_repetition >= turn().repeat) {
        m_repetition = 0;
        ++m_turnIndex;
    }
    nextTurn();
}

void SessionDriver::onReply(const QString& replyTo, const QString& content)
{
    if (m_state != State::Waiting || replyTo != m_pendingId)
        return;
    m_worker->replies().fetch_add(1, std::memory_order_relaxed);
    const Turn& current = turn();
    const Exchange* exchange = m_client->exchange(m_pendingId);
    if (exchange && exchange->replyUs >= 0)
        m_worker->recordReply(exchange->replyUs);
    if (current.expect) {
        const Expectation& expect = *current.expect;
        // agent.message frames are the agent's: any other expected role cannot be met.
        if (expect.role != Role::Agent) {
            turnError(QStringLiteral("expect.role"),
                tr("The reply came from the agent, not from the expected role \"%1\".").arg(roleName(expect.role)));
        }
        if (expect.withinMs > 0 && exchange && exchange->replyUs > qint64(expect.withinMs) * 1000) {
            turnError(QStringLiteral("expect.within_ms"),
                tr("The reply took %1 ms, more than the expected %2 ms.")
                    .arg(double(exchange->replyUs) / 1000.0, 0, 'f', 1)
                    .arg(expect.withinMs));
        }
        if (!expect.contains.isEmpty() && !content.contains(expect.contains, Qt::CaseInsensitive)) {
            turnError(QStringLiteral("expect.contains"),
                tr("The reply \"%1\" does not contain \"%2\".").arg(json::oneLine(content, 80), expect.contains));
        }
        if (!expect.regex.pattern().isEmpty() && !expect.regex.match(content).hasMatch()) {
            turnError(QStringLiteral("expect.regex"),
                tr("The reply \"%1\" does not match /%2/.").arg(json::oneLine(content, 80), expect.regex.pattern()));
        }
    }
    for (const Capture& capture : current.captures) {
        const QRegularExpressionMatch match = capture.regex.match(content);
        m_captured.insert(capture.name, match.hasMatch() ? match.captured(capture.group) : QString());
    }
    turnDone();
}

void SessionDriver::onFailed(const Error& error)
{
    if (m_aborted)
        return;
    if (m_state == State::Waiting) {
        const Exchange* exchange = m_client->exchange(m_pendingId);
        if (exchange && !exchange->error.isEmpty() && !m_turnErrors.contains(m_pendingId)) {
            // An error frame about the message just sent: no reply will come.
            turnError(error.code, error.message);
            turnDone();
            return;
        }
    }
    sessionError(error.code, error.message);
}

void SessionDriver::onTimeout()
{
    switch (m_state) {
    case State::Connecting:
        sessionError(QStringLiteral("client.connect_timeout"),
            tr("No session.started within %1 ms of connecting.").arg(m_worker->options().replyTimeoutMs));
        m_aborted = true; // what the abort causes is not another error
        m_client->abort();
        finish();
        break;
    case State::Thinking:
        sendTurn();
        break;
    case State::Waiting:
        if (turn().role == Role::User) {
            turnError(QStringLiteral("reply.timeout"),
                tr("No reply within %1 ms (the run's reply timeout).").arg(m_worker->options().replyTimeoutMs));
        } else {
            turnError(QStringLiteral("ack.timeout"),
                tr("No message.ack within %1 ms (the run's reply timeout).").arg(m_worker->options().replyTimeoutMs));
        }
        turnDone();
        break;
    case State::Ending:
        if (!m_client->ended()) {
            sessionError(QStringLiteral("session.end_timeout"),
                tr("No session.ended within %1 ms of session.end.").arg(m_worker->options().endTimeoutMs));
        } else {
            sessionError(QStringLiteral("session.close_timeout"),
                tr("The server did not close the connection within %1 ms of session.ended.")
                    .arg(m_worker->options().endTimeoutMs));
        }
        m_aborted = true;
        m_client->abort();
        finish();
        break;
    case State::Done:
        break;
    }
}

void SessionDriver::endSession()
{
    m_state = State::Ending;
    m_client->end();
    m_timer.start(m_worker->options().endTimeoutMs);
}

void SessionDriver::stopGracefully()
{
    m_stopping = true;
    switch (m_state) {
    case State::Connecting: // the server may have started the session already: end it once it says so
        break;
    case State::Thinking:
        m_timer.stop();
        endSession();
        break;
    case State::Waiting: // ends once the turn in flight is answered
    case State::Ending:
    case State::Done:
        break;
    }
}

void SessionDriver::abortNow()
{
    if (m_state == State::Done)
        return;
    m_stopping = true;
    m_aborted = true;
    m_timer.stop();
    m_client->abort();
    finish();
}

void SessionDriver::turnError(const QString& code, const QString& message)
{
    QString& text = m_turnErrors[m_pendingId];
    if (!text.isEmpty())
        text += QStringLiteral("; ");
    text += code + QStringLiteral(": ") + message;
    m_errorCodes.append(code);
}

void SessionDriver::sessionError(const QString& code, const QString& message)
{
    m_sessionErrors.append(code + QStringLiteral(": ") + message);
    m_errorCodes.append(code);
}

void SessionDriver::finish()
{
    if (m_state == State::Done)
        return;
    const bool wasWaiting = m_state == State::Waiting && !m_pendingId.isEmpty();
    m_state = State::Done;
    m_timer.stop();
    if (wasWaiting && !m_aborted && !m_stopping && !m_turnErrors.contains(m_pendingId) && m_sessionErrors.isEmpty()) {
        sessionError(QStringLiteral("client.closed"), tr("The connection closed while a reply was awaited."));
    }

    SessionOutcome outcome;
    outcome.n = m_n;
    outcome.connected = !m_client->sessionId().isEmpty();
    outcome.aborted = m_aborted && m_stopping;
    outcome.connectUs = m_client->connectUs();
    outcome.errorCodes = m_errorCodes;
    outcome.failed = !m_errorCodes.isEmpty();
    outcome.completed = !outcome.failed && m_allTurnsSaid && m_client->ended().has_value();
    const QString session = label();
    bool first = true;
    for (const Exchange& exchange : m_client->exchanges()) {
        ++outcome.sent;
        if (exchange.ackUs >= 0) {
            ++outcome.acked;
            if (exchange.seq > 0)
                outcome.clientMessageIds.append(exchange.messageId);
        }
        if (exchange.persistedUs >= 0)
            ++outcome.persistedFrames;
        TurnSample sample;
        sample.sessionId = session;
        sample.turn = m_stepOf.value(exchange.id);
        sample.connectUs = first ? m_client->connectUs() : -1;
        sample.ackUs = exchange.ackUs;
        sample.replyUs = exchange.replyUs;
        sample.persistedUs = exchange.persistedUs;
        sample.error = m_turnErrors.value(exchange.id);
        sample.ok = sample.error.isEmpty();
        outcome.turns.append(sample);
        first = false;
    }
    if (!m_sessionErrors.isEmpty()) {
        // Turn 0 stands for the session itself: connecting, closing, ending.
        TurnSample sample;
        sample.sessionId = session;
        sample.turn = 0;
        sample.connectUs = outcome.turns.isEmpty() ? m_client->connectUs() : -1;
        sample.ok = false;
        sample.error = m_sessionErrors.join(QStringLiteral("; "));
        outcome.turns.prepend(sample);
    }
    if (outcome.connected && !outcome.aborted)
        outcome.expected = expectedFrom(*m_client, m_metadata);
    m_worker->done(this, std::move(outcome));
}

// ---------------------------------------------------------------------------------------------
// Verification, on a thread with its own database connection.

VerifyWorker::VerifyWorker(LoadRunner* runner, VerifyOptions options)
    : m_runner(runner)
    , m_options(options)
{
}

VerifyWorker::~VerifyWorker() = default;

Status VerifyWorker::open(const DatabaseUrl& url)
{
    auto connection = store::Connection::open(url, store::Connection::Access::ReadOnly);
    if (!connection)
        return connection.error();
    m_connection = std::move(*connection);
    return {};
}

void VerifyWorker::close()
{
    m_pending.clear();
    m_connection.reset();
}

void VerifyWorker::check(const ExpectedSession& expected, const QList<QUuid>& clientIds, int settleMs)
{
    auto pending = std::make_shared<Pending>();
    pending->expected = expected;
    pending->clientIds = clientIds;
    pending->deadline = QDeadlineTimer(settleMs);
    const int key = ++m_nextKey;
    m_pending.insert(key, pending);
    attempt(key);
}

void VerifyWorker::hurry()
{
    m_hurry = true;
    const auto keys = m_pending.keys();
    for (const int key : keys)
        attempt(key);
}

void VerifyWorker::attempt(int key)
{
    const auto it = m_pending.constFind(key);
    if (it == m_pending.cend() || !m_connection)
        return;
    const std::shared_ptr<Pending> pending = *it;
    ++pending->tries;
    VerifiedSession result;
    result.sessionId = pending->expected.sessionId;
    const auto findings = Verifier(*m_connection, m_options).verify(pending->expected);
    const bool settled = m_hurry || pending->deadline.hasExpired();
    if (!settled && (!findings || !findings->isEmpty())) {
        // The server may not have written everything yet: look again shortly.
        const int delay = std::min(50 << std::min(pending->tries, 4), 500);
        QTimer::singleShot(delay, this, [this, key] { attempt(key); });
        return;
    }
    if (!findings) {
        result.findings.append(
            {QStringLiteral("verification.error"), pending->expected.sessionId, QString(), QString(), QString(),
                tr("The session could not be verified: %1 [%2]").arg(findings.error().message, findings.error().code)});
    } else {
        result.findings = *findings;
        QSet<QString> missing;
        for (const Finding& finding : std::as_const(result.findings)) {
            if (finding.check == u"message.missing")
                missing.insert(finding.expected);
        }
        for (const QUuid& id : std::as_const(pending->clientIds)) {
            if (!missing.contains(id.toString(QUuid::WithoutBraces)))
                ++result.clientMessagesFound;
        }
    }
    m_pending.remove(key);
    LoadRunner* runner = m_runner;
    QMetaObject::invokeMethod(
        runner, [runner, result = std::move(result)] { runner->onVerified(result); }, Qt::QueuedConnection);
}

// ---------------------------------------------------------------------------------------------

LoadRunner::LoadRunner(Scenario scenario, RunOptions options, QObject* parent)
    : QObject(parent)
    , m_scenario(std::move(scenario))
    , m_options(std::move(options))
    , m_sent(std::make_shared<std::atomic<qint64>>(0))
    , m_replies(std::make_shared<std::atomic<qint64>>(0))
{
    m_scheduler.setSingleShot(true);
    m_scheduler.setTimerType(Qt::PreciseTimer);
    connect(&m_scheduler, &QTimer::timeout, this, &LoadRunner::schedule);
    m_timeCap.setSingleShot(true);
    m_timeCap.setTimerType(Qt::PreciseTimer);
    connect(&m_timeCap, &QTimer::timeout, this, [this] {
        if (m_stops == 0)
            stop();
    });
}

LoadRunner::~LoadRunner()
{
    shutdownThreads();
    qDeleteAll(m_workers);
    qDeleteAll(m_threads);
    delete m_verifier;
    delete m_verifyThread;
}

double LoadRunner::dueSeconds(int n, double perSecond, int rampSeconds)
{
    if (perSecond <= 0 || n <= 1)
        return 0;
    const double k = n - 1; // sessions that must have started before this one
    if (rampSeconds <= 0)
        return k / perSecond;
    // ∫0..t of perSecond·s/ramp ds = perSecond·t²/(2·ramp) until the ramp ends.
    const double atRampEnd = perSecond * rampSeconds / 2.0;
    if (k <= atRampEnd)
        return std::sqrt(2.0 * k * rampSeconds / perSecond);
    return rampSeconds + (k - atRampEnd) / perSecond;
}

Status LoadRunner::start()
{
    m_report.scenario = m_scenario.name;
    m_report.server = m_options.url.toString();
    m_report.startedAt = QDateTime::currentDateTimeUtc();
    m_report.sessionsPlanned = m_scenario.sessions;

    if (m_options.verifyDatabase) {
        m_verifyThread = new QThread;
        m_verifyThread->setObjectName(QStringLiteral("voxtrack-verify"));
        m_verifier = new VerifyWorker(this, m_options.verify);
        m_verifier->moveToThread(m_verifyThread);
        m_verifyThread->start();
        Status opened;
        QMetaObject::invokeMethod(
            m_verifier, [&] { opened = m_verifier->open(*m_options.verifyDatabase); }, Qt::BlockingQueuedConnection);
        if (!opened.isNull())
            return opened;
    }

    const int threads = std::max(1, m_options.threads > 0 ? m_options.threads : QThread::idealThreadCount());
    const quint64 seed = m_options.seed ? m_options.seed : QRandomGenerator::global()->generate64();
    for (int i = 0; i < threads; ++i) {
        auto* thread = new QThread;
        thread->setObjectName(QStringLiteral("voxtrack-drive-%1").arg(i));
        auto* worker = new SessionWorker(this, m_scenario, m_options, seed + quint64(i));
        worker->moveToThread(thread);
        thread->start();
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    m_report.threads = threads;

    m_clock.start();
    if (m_scenario.timeCapSeconds > 0)
        m_timeCap.start(m_scenario.timeCapSeconds * 1000);
    QMetaObject::invokeMethod(this, &LoadRunner::schedule, Qt::QueuedConnection);
    return {};
}

void LoadRunner::schedule()
{
    if (m_stops > 0 || m_finished)
        return;
    const double now = double(m_clock.nsecsElapsed()) / 1e9;
    const double cap = m_scenario.timeCapSeconds > 0 ? double(m_scenario.timeCapSeconds) : -1;
    if (cap > 0 && now >= cap) {
        stop(); // the cap's own timer may come later than this one
        return;
    }
    while (m_nextSession <= m_scenario.sessions && m_open < m_scenario.concurrency) {
        const double due = dueSeconds(m_nextSession, m_scenario.arrivalPerSecond, m_scenario.rampSeconds);
        if (cap > 0 && due >= cap)
            return; // due after the cap: never starts
        if (due > now) {
            m_scheduler.start(std::max(1, int(std::ceil((due - now) * 1000.0))));
            return;
        }
        dispatch(m_nextSession++);
    }
}

void LoadRunner::dispatch(int n)
{
    SessionWorker* worker = m_workers.at(std::size_t(n - 1) % m_workers.size());
    ++m_open;
    m_report.peakConcurrent = std::max(m_report.peakConcurrent, m_open);
    QMetaObject::invokeMethod(
        worker, [worker, n] { worker->startSession(n); }, Qt::QueuedConnection);
}

void LoadRunner::stop()
{
    if (m_finished)
        return;
    ++m_stops;
    m_report.interrupted = true;
    m_scheduler.stop();
    m_timeCap.stop();
    if (m_stops == 1) {
        for (SessionWorker* worker : m_workers)
            QMetaObject::invokeMethod(
                worker, [worker] { worker->stopAll(); }, Qt::QueuedConnection);
    } else {
        for (SessionWorker* worker : m_workers)
            QMetaObject::invokeMethod(
                worker, [worker] { worker->abortAll(); }, Qt::QueuedConnection);
        if (m_verifier)
            QMetaObject::invokeMethod(
                m_verifier, [v = m_verifier] { v->hurry(); }, Qt::QueuedConnection);
    }
    finishIfDone();
}

void LoadRunner::onOutcome(const SessionOutcome& outcome)
{
    --m_open;
    ++m_finishedSessions;
    if (outcome.connected)
        ++m_report.sessionsStarted;
    if (outcome.completed)
        ++m_report.sessionsCompleted;
    if (outcome.failed)
        ++m_report.sessionsFailed;
    m_report.messagesSent += outcome.sent;
    m_report.messagesAcked += outcome.acked;
    if (outcome.connectUs >= 0)
        m_report.connect.record(outcome.connectUs);
    for (const TurnSample& turn : outcome.turns) {
        if (turn.turn == 0)
            continue;
        if (turn.ackUs >= 0)
            m_report.ack.record(turn.ackUs);
        if (turn.replyUs >= 0)
            m_report.reply.record(turn.replyUs);
        if (turn.persistedUs >= 0)
            m_report.persisted.record(turn.persistedUs);
    }
    if (m_options.keepTurns)
        m_turns.append(outcome.turns);
    for (const QString& code : outcome.errorCodes)
        ++m_report.errorsByCode[code];
    m_errorCount += outcome.errorCodes.size();

    // A server that cannot be reached at all is a run that could not take place.
    if (!outcome.connected && m_report.sessionsStarted == 0 && outcome.errorCodes.contains(u"client.connect")
        && !m_fatal) {
        const TurnSample& first = outcome.turns.constFirst();
        m_fatal = Error {QStringLiteral("client.connect"), first.error.section(QStringLiteral(": "), 1)};
        stop();
        stop();
    }

    if (m_verifier && outcome.expected) {
        ++m_verifying;
        VerifyWorker* verifier = m_verifier;
        QMetaObject::invokeMethod(
            verifier,
            [verifier, expected = *outcome.expected, ids = outcome.clientMessageIds, settle = m_options.settleMs] {
                verifier->check(expected, ids, settle);
            },
            Qt::QueuedConnection);
    } else if (!m_verifier) {
        m_report.messagesPersisted += outcome.persistedFrames;
    }
    schedule();
    finishIfDone();
}

void LoadRunner::onVerified(const VerifiedSession& verified)
{
    --m_verifying;
    m_report.findings.append(verified.findings);
    m_report.messagesPersisted += verified.clientMessagesFound;
    finishIfDone();
}

void LoadRunner::finishIfDone()
{
    if (m_finished || m_open > 0 || m_verifying > 0)
        return;
    if (m_stops == 0 && m_nextSession <= m_scenario.sessions)
        return;
    completeReport();
    m_finished = true;
    Q_EMIT finished();
}

void LoadRunner::completeReport()
{
    m_report.durationSeconds = double(m_clock.nsecsElapsed()) / 1e9;
    m_report.verified = m_verifier != nullptr;
    const ProcessUsage usage = processUsage();
    m_report.clientCpuSeconds = usage.cpuSeconds;
    m_report.clientPeakRssMb = usage.peakRssMb;

    const Thresholds& limits = m_scenario.thresholds;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto replyMs
        = [&](double q) { return m_report.reply.isEmpty() ? nan : m_report.reply.percentile(q) / 1000.0; };
    if (limits.p95ReplyMs)
        m_report.thresholds.append({QStringLiteral("p95 reply ms"), *limits.p95ReplyMs, replyMs(0.95), true});
    if (limits.p99ReplyMs)
        m_report.thresholds.append({QStringLiteral("p99 reply ms"), *limits.p99ReplyMs, replyMs(0.99), true});
    // Without a limit of its own, any session with an error fails the run: expectations are checks.
    const double ran = m_finishedSessions;
    const double errorRate = ran > 0 ? double(m_report.sessionsFailed) / ran : 0;
    m_report.thresholds.append(
        {QStringLiteral("error rate"), limits.maxErrorRate.value_or(0.0), std::round(errorRate * 1e6) / 1e6, true});
    if (limits.minPersistedRatio) {
        const double ratio
            = m_report.messagesSent > 0 ? double(m_report.messagesPersisted) / double(m_report.messagesSent) : nan;
        m_report.thresholds.append(
            {QStringLiteral("persisted ratio"), *limits.minPersistedRatio, std::round(ratio * 1e6) / 1e6, false});
    }
    shutdownThreads();
}

void LoadRunner::shutdownThreads()
{
    if (m_threadsDown)
        return;
    m_threadsDown = true;
    // Connections and the database connection are closed in the threads that own them.
    for (SessionWorker* worker : m_workers)
        QMetaObject::invokeMethod(
            worker, [worker] { worker->clear(); }, Qt::BlockingQueuedConnection);
    if (m_verifier)
        QMetaObject::invokeMethod(
            m_verifier, [v = m_verifier] { v->close(); }, Qt::BlockingQueuedConnection);
    for (QThread* thread : m_threads) {
        thread->quit();
        thread->wait();
    }
    if (m_verifyThread) {
        m_verifyThread->quit();
        m_verifyThread->wait();
    }
}

RunProgress LoadRunner::progress() const
{
    RunProgress p;
    if (m_finished)
        p.elapsedSeconds = m_report.durationSeconds;
    else
        p.elapsedSeconds = m_clock.isValid() ? double(m_clock.nsecsElapsed()) / 1e9 : 0;
    p.planned = m_scenario.sessions;
    p.started = m_nextSession - 1;
    p.open = m_open;
    p.completed = m_report.sessionsCompleted;
    p.failed = m_report.sessionsFailed;
    p.finished = m_finishedSessions;
    p.messagesSent = m_sent->load(std::memory_order_relaxed);
    p.replies = m_replies->load(std::memory_order_relaxed);
    p.errors = m_errorCount;
    // A window closes a second after the previous one, and the last one when the run is over.
    const double span = p.elapsedSeconds - m_window.endSeconds;
    if (m_clock.isValid() && (span >= 1.0 || (m_finished && span > 0)))
        closeWindow(p.elapsedSeconds, p.messagesSent);
    p.messagesPerSecond = m_window.messagesPerSecond;
    p.replyP95Ms = double(m_report.reply.percentile(0.95)) / 1000.0;
    p.verifying = m_verifying;
    p.stopping = m_stops > 0;
    p.windowStartSeconds = m_window.startSeconds;
    p.windowEndSeconds = m_window.endSeconds;
    p.windowReplies = m_window.replies;
    p.windowReplyP50Ms = m_window.p50Ms;
    p.windowReplyP95Ms = m_window.p95Ms;
    p.windowReplyP99Ms = m_window.p99Ms;
    return p;
}

void LoadRunner::closeWindow(double now, qint64 sent) const
{
    m_windowReplies.clear();
    for (SessionWorker* worker : m_workers)
        worker->takeReplies(m_windowReplies);
    Window window;
    window.startSeconds = m_window.endSeconds;
    window.endSeconds = now;
    window.sentAtEnd = sent;
    window.messagesPerSecond = double(sent - m_window.sentAtEnd) / (now - window.startSeconds);
    window.replies = m_windowReplies.count();
    if (!m_windowReplies.isEmpty()) {
        window.p50Ms = double(m_windowReplies.percentile(0.50)) / 1000.0;
        window.p95Ms = double(m_windowReplies.percentile(0.95)) / 1000.0;
        window.p99Ms = double(m_windowReplies.percentile(0.99)) / 1000.0;
    }
    m_window = window;
}

} // namespace voxtrack::client
