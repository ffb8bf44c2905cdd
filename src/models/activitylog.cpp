// SPDX-License-Identifier: MIT
#include "models/activitylog.h"

#include "core/role.h"
#include "models/databasethread.h"
#include "store/changefeed.h"

#include <QLocale>

#include <algorithm>

namespace voxtrack::models {

namespace {

/// Sessions for log lines come oldest first.
const store::SessionOrder oldestFirst {store::SessionSort::StartedAt, false};

} // namespace

ActivityLog::ActivityLog(QObject* parent)
    : QAbstractListModel(parent)
    , m_current(std::make_shared<std::atomic<int>>(0))
{
}

ActivityLog::~ActivityLog()
{
    m_current->store(-1);
}

void ActivityLog::setDatabase(const DatabaseUrl& url)
{
    clearDatabase();
    m_thread = std::make_unique<DatabaseThread>(url);
    const int generation = m_generation;
    m_thread->request<Baseline>(
        this, stillWanted(),
        [](store::SessionPager& pager) -> Expected<Baseline> {
            Baseline baseline;
            auto sessions = pager.maxId();
            auto messages = pager.maxMessageId();
            if (!sessions)
                return sessions.error();
            if (!messages)
                return messages.error();
            baseline.lastSessionId = *sessions;
            baseline.lastMessageId = *messages;
            // The newest open sessions: their ends are logged too.
            store::SessionFilter open;
            open.state = store::SessionFilter::State::Active;
            auto active = pager.page(open, {}, {}, maxOpenSessions);
            if (!active)
                return active.error();
            for (const store::KeyedSession& session : std::as_const(*active))
                baseline.openSessions.prepend(session.id);
            return baseline;
        },
        [this, generation](const Expected<Baseline>& baseline) {
            if (generation != m_generation)
                return;
            if (!baseline) {
                Q_EMIT failed(baseline.error());
                return;
            }
            m_lastSessionId = baseline->lastSessionId;
            m_lastMessageId = baseline->lastMessageId;
            m_open = baseline->openSessions;
            m_ready = true;
            Q_EMIT ready();
        });
}

void ActivityLog::clearDatabase()
{
    m_current->store(++m_generation);
    m_thread.reset();
    m_ready = false;
    m_open.clear();
}

void ActivityLog::follow(store::ChangeFeed& feed)
{
    connect(&feed, &store::ChangeFeed::changed, this, &ActivityLog::apply);
}

std::function<bool()> ActivityLog::stillWanted() const
{
    return [current = m_current, generation = m_generation] { return current->load() == generation; };
}

void ActivityLog::request(std::function<Expected<Batch>(store::SessionPager&)> work)
{
    const int generation = m_generation;
    m_thread->request<Batch>(this, stillWanted(), std::move(work), [this, generation](const Expected<Batch>& batch) {
        if (generation != m_generation)
            return;
        if (!batch)
            Q_EMIT failed(batch.error());
        else
            applyBatch(*batch);
    });
}

void ActivityLog::apply(const store::Change& change)
{
    using store::Change;
    if (!m_ready)
        return; // part of the baseline still being read
    if (change.table == Change::Table::Sessions && change.kind == Change::Kind::Insert) {
        // Inserted rows have ids above everything seen; SQLite reports exactly those.
        const qint64 first = std::max(change.rangeKnown ? change.firstId : 0, m_lastSessionId + 1);
        const qint64 last = change.rangeKnown ? change.lastId : std::numeric_limits<qint64>::max();
        if (first > last)
            return;
        request([first, last](store::SessionPager& pager) -> Expected<Batch> {
            auto sessions = pager.idRange({}, oldestFirst, first, last);
            if (!sessions)
                return sessions.error();
            return Batch {*sessions, {}, 0};
        });
    } else if (change.table == Change::Table::Sessions) {
        // An update: an end, usually. With the range known, the ended rows in it (requests run
        // in order, so a session inserted just before is known by then); without it (SQLite),
        // the sessions seen open.
        if (change.rangeKnown) {
            request([first = change.firstId, last = change.lastId](store::SessionPager& pager) -> Expected<Batch> {
                store::SessionFilter ended;
                ended.state = store::SessionFilter::State::Ended;
                auto sessions = pager.idRange(ended, oldestFirst, first, last);
                if (!sessions)
                    return sessions.error();
                return Batch {*sessions, {}, 0};
            });
            return;
        }
        if (m_open.isEmpty())
            return;
        request([ids = m_open](store::SessionPager& pager) -> Expected<Batch> {
            store::SessionFilter ended;
            ended.state = store::SessionFilter::State::Ended;
            auto sessions = pager.byIds(ended, oldestFirst, ids);
            if (!sessions)
                return sessions.error();
            return Batch {*sessions, {}, 0};
        });
    } else if (change.kind == Change::Kind::Insert) {
        const qint64 first = std::max(change.rangeKnown ? change.firstId : 0, m_lastMessageId + 1);
        const qint64 last = change.rangeKnown ? change.lastId : std::numeric_limits<qint64>::max();
        if (first > last)
            return;
        request([first, last](store::SessionPager& pager) -> Expected<Batch> {
            auto messages = pager.messagesById(first, last, maxLinesPerChange + 1);
            if (!messages)
                return messages.error();
            Batch batch;
            batch.messages = *messages;
            if (batch.messages.size() > maxLinesPerChange) {
                batch.messages.resize(maxLinesPerChange);
                const qint64 shownUpTo = batch.messages.constLast().id;
                auto rest = pager.messagesById(shownUpTo + 1, last, std::numeric_limits<int>::max());
                if (!rest)
                    return rest.error();
                batch.moreMessages = rest->size();
                if (!rest->isEmpty())
                    batch.messages.append(rest->constLast()); // only to move the baseline past it
            }
            return batch;
        });
    }
}

void ActivityLog::applyBatch(const Batch& batch)
{
    QList<Line> lines;
    for (const store::KeyedSession& session : batch.sessions) {
        if (session.row.active || !session.row.endedAt.isValid()) {
            if (session.id <= m_lastSessionId)
                continue;
            m_lastSessionId = session.id;
            lines.append(startedLine(session));
            m_open.append(session.id);
            if (m_open.size() > maxOpenSessions)
                m_open.removeFirst();
        } else if (m_open.removeOne(session.id)) {
            lines.append(endedLine(session));
        } else if (session.id > m_lastSessionId) {
            // Started and ended between two looks: both lines.
            m_lastSessionId = session.id;
            lines.append(startedLine(session));
            lines.append(endedLine(session));
        }
    }
    qsizetype shown = batch.messages.size() - (batch.moreMessages > 0 ? 1 : 0);
    for (qsizetype i = 0; i < batch.messages.size(); ++i) {
        const store::MessageRow& message = batch.messages.at(i);
        if (message.id <= m_lastMessageId)
            continue;
        m_lastMessageId = message.id;
        if (i < shown)
            lines.append(messageLine(message));
    }
    if (batch.moreMessages > 0) {
        lines.append({batch.messages.constLast().createdAt, Kind::Note, {},
            tr("… and %n more message(s) saved in the same write", nullptr, int(batch.moreMessages))});
    }
    append(std::move(lines));
}

ActivityLog::Line ActivityLog::startedLine(const store::KeyedSession& session)
{
    return {session.row.startedAt, Kind::Started, session.row.sessionId,
        tr("Started session %1 for user %2").arg(session.row.sessionId, session.row.userId)};
}

ActivityLog::Line ActivityLog::endedLine(const store::KeyedSession& session)
{
    const QString duration
        = session.row.durationSeconds ? QLocale().toString(*session.row.durationSeconds, 'f', 1) : tr("unknown");
    const QString reason = session.row.endReason.isEmpty() ? tr("none") : session.row.endReason;
    // A session marked ended without duration or end time is what the doctor calls broken.
    const Kind kind = session.row.durationSeconds ? Kind::Ended : Kind::Problem;
    return {session.row.endedAt, kind, session.row.sessionId,
        tr("Ended session %1 (duration: %2 s, messages: %3, reason: %4)")
            .arg(session.row.sessionId, duration)
            .arg(session.row.messageCount)
            .arg(reason)};
}

ActivityLog::Line ActivityLog::messageLine(const store::MessageRow& message)
{
    if (!parseRole(message.role)) {
        return {message.createdAt, Kind::Problem, message.sessionId,
            tr("Saved a message with the role \"%1\" for session %2: the schema allows user, agent and system")
                .arg(message.role, message.sessionId)};
    }
    return {message.createdAt, Kind::Saved, message.sessionId,
        tr("Saved %1 message for session %2").arg(message.role, message.sessionId)};
}

void ActivityLog::append(QList<Line> lines)
{
    if (lines.isEmpty())
        return;
    if (lines.size() > maxLines)
        lines.erase(lines.begin(), lines.end() - maxLines);
    const qsizetype overflow = m_lines.size() + lines.size() - maxLines;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_lines.erase(m_lines.begin(), m_lines.begin() + overflow);
        endRemoveRows();
    }
    beginInsertRows({}, int(m_lines.size()), int(m_lines.size() + lines.size()) - 1);
    m_lines.append(std::move(lines));
    endInsertRows();
}

void ActivityLog::clear()
{
    beginResetModel();
    m_lines.clear();
    endResetModel();
}

int ActivityLog::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

QVariant ActivityLog::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Line& line = m_lines.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return QStringLiteral("%1  %2").arg(line.at.toLocalTime().toString(QStringLiteral("HH:mm:ss")), line.text);
    case Qt::ToolTipRole:
        return QLocale().toString(line.at.toLocalTime(), QLocale::LongFormat);
    case KindRole:
        return int(line.kind);
    case TimeRole:
        return line.at;
    case SessionIdRole:
        return line.sessionId;
    case TextRole:
        return line.text;
    default:
        return {};
    }
}

QHash<int, QByteArray> ActivityLog::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(KindRole, "kind");
    names.insert(TimeRole, "time");
    names.insert(SessionIdRole, "sessionId");
    names.insert(TextRole, "text");
    return names;
}

} // namespace voxtrack::models
