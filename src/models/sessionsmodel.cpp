// SPDX-License-Identifier: MIT
#include "models/sessionsmodel.h"

#include "core/jsontext.h"
#include "models/databasethread.h"
#include "store/connection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>

namespace voxtrack::models {

namespace {

QString timeText(const QDateTime& time)
{
    return time.isValid() ? time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QString metadataSummary(const QJsonObject& metadata)
{
    QStringList parts;
    for (auto it = metadata.constBegin(); it != metadata.constEnd(); ++it) {
        const QJsonValue value = it.value();
        const QString text = value.isString() ? value.toString()
            : value.isDouble()                ? QString::number(value.toDouble())
            : value.isBool()
            ? (value.toBool() ? QStringLiteral("true") : QStringLiteral("false"))
            : QString::fromUtf8(QJsonDocument(QJsonArray {value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
        parts << it.key() + u'=' + text;
    }
    return json::oneLine(parts.join(QStringLiteral(", ")), 80);
}

} // namespace

QString durationText(double seconds)
{
    if (seconds < 60)
        return QCoreApplication::translate("voxtrack::models::SessionsModel", "%1 s").arg(seconds, 0, 'f', 1);
    const qint64 whole = qint64(seconds + 0.5);
    if (whole < 3600) {
        return QCoreApplication::translate("voxtrack::models::SessionsModel", "%1 min %2 s")
            .arg(whole / 60)
            .arg(whole % 60, 2, 10, QChar(u'0'));
    }
    return QCoreApplication::translate("voxtrack::models::SessionsModel", "%1 h %2 min")
        .arg(whole / 3600)
        .arg((whole % 3600) / 60, 2, 10, QChar(u'0'));
}

struct SessionsModel::Row {
    store::KeyedSession session;
};

/// The first page of a generation, with the snapshot it was read in.
struct SessionsModel::FirstPage {
    qint64 baseline = 0;
    QList<store::KeyedSession> rows;
};

/// New sessions with the number of rows that come before each, and the highest id looked at.
struct SessionsModel::Placed {
    QList<std::pair<qint64, store::KeyedSession>> rows;
    qint64 through = 0;
};

struct SessionsModel::Page {
    int generation = 0;
    int shifts = 0;
    int first = 0;
    int asked = 0;
    bool append = false;
    bool alignEnd = false; ///< the rows end at first + asked (a page read backwards)
    qint64 baseline = -1; ///< set by the first page of a generation
    QList<store::KeyedSession> rows;
};

SessionsModel::SessionsModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_current(std::make_shared<std::atomic<int>>(0))
{
    m_refreshTimer.setSingleShot(true);
    connect(&m_refreshTimer, &QTimer::timeout, this, [this] { refreshRows(0, 0); });
}

SessionsModel::~SessionsModel()
{
    m_current->store(-1);
    m_pager.reset(); // joins its thread before the counter goes
    m_counter.reset();
}

void SessionsModel::setDatabase(const DatabaseUrl& url)
{
    m_current->store(-1);
    m_pager.reset();
    m_counter.reset();
    m_pager = std::make_unique<DatabaseThread>(url);
    m_counter = std::make_unique<DatabaseThread>(url);
    restart();
}

void SessionsModel::clearDatabase()
{
    m_current->store(-1);
    m_pager.reset();
    m_counter.reset();
    restart();
}

void SessionsModel::setFilter(const store::SessionFilter& filter)
{
    m_filter = filter;
    m_filter.upToId = 0;
    restart();
}

bool SessionsModel::isSortable(int column)
{
    return column == SessionIdColumn || column == UserIdColumn || column == StartedAtColumn;
}

void SessionsModel::sort(int column, Qt::SortOrder order)
{
    if (!isSortable(column))
        return;
    store::SessionOrder next;
    next.column = column == SessionIdColumn ? store::SessionSort::SessionId
        : column == UserIdColumn            ? store::SessionSort::UserId
                                            : store::SessionSort::StartedAt;
    next.descending = order == Qt::DescendingOrder;
    if (next == m_order)
        return;
    m_order = next;
    restart();
}

void SessionsModel::reload()
{
    restart();
}

void SessionsModel::restart()
{
    ++m_generation;
    m_current->store(m_generation);
    beginResetModel();
    m_rows.clear();
    m_ids.clear();
    m_new.clear();
    m_pending.clear();
    m_shiftLog.clear();
    m_shifts = 0;
    // Jobs of the previous generation never report back: nothing is in flight any more.
    m_insertInFlight = false;
    m_updateInFlight = false;
    m_updateAgain = false;
    m_deferredFirst = 0;
    m_deferredLast = 0;
    m_refreshTimer.stop();
    m_loaded = 0;
    m_countKnown = false;
    m_lastPageShort = false;
    m_baseline = 0;
    endResetModel();
    setState(RowCountState::Unknown);
    if (!m_pager)
        return;

    // The first page fixes the snapshot: the highest id now. Rows after it come live.
    const int generation = m_generation;
    const store::SessionFilter filter = m_filter;
    const store::SessionOrder order = m_order;
    m_pending.insert(0);
    m_pager->request<FirstPage>(
        this, stillWanted(),
        [filter, order](store::SessionPager& pager) -> Expected<FirstPage> {
            const auto baseline = pager.maxId();
            if (!baseline)
                return baseline.error();
            store::SessionFilter snapshot = filter;
            snapshot.upToId = *baseline;
            auto rows = pager.page(snapshot, order, {}, windowSize);
            if (!rows)
                return rows.error();
            return FirstPage {*baseline, std::move(*rows)};
        },
        [this, generation](const Expected<FirstPage>& first) {
            if (generation != m_generation)
                return;
            if (!first) {
                fail(first.error());
                return;
            }
            Page page;
            page.generation = generation;
            page.append = true;
            page.asked = windowSize;
            page.baseline = first->baseline;
            page.rows = first->rows;
            applyPage(page);
            requestCount();
        });
}

void SessionsModel::requestCount()
{
    store::SessionFilter snapshot = m_filter;
    snapshot.upToId = m_baseline;
    const int generation = m_generation;
    m_counter->request<qint64>(
        this, stillWanted(), [snapshot](store::SessionPager& pager) { return pager.count(snapshot); },
        [this, generation](const Expected<qint64>& counted) {
            if (counted)
                applyCount(generation, *counted);
            else if (generation == m_generation)
                fail(counted.error());
        });
}

void SessionsModel::requestWindowAt(int row) const
{
    const int first = (row / windowSize) * windowSize;
    if (m_pending.contains(first))
        return;
    auto* self = const_cast<SessionsModel*>(this);
    const int count = std::min<int>(windowSize, int(m_rows.size()) - first);
    if (count <= 0)
        return;
    self->requestRange(first, count, false);
}

void SessionsModel::requestRange(int first, int count, bool append)
{
    if (!m_pager)
        return;
    m_pending.insert(first);
    store::PageAnchor anchor;
    bool alignEnd = false;
    const int end = first + count;
    const int size = int(m_rows.size());
    if (first > 0 && first - 1 < size && m_rows[std::size_t(first - 1)]) {
        anchor.after = m_rows[std::size_t(first - 1)]->session.key;
    } else if (end < size && m_rows[std::size_t(end)]) {
        anchor.before = m_rows[std::size_t(end)]->session.key;
        alignEnd = true;
    } else if (m_countKnown && end >= size) {
        anchor.fromEnd = true;
        alignEnd = true;
    } else {
        anchor.offset = first;
    }
    store::SessionFilter filter = m_filter;
    filter.upToId = m_baseline;
    const store::SessionOrder order = m_order;
    const int generation = m_generation;
    const int shifts = m_shifts;
    m_pager->request<QList<store::KeyedSession>>(
        this, stillWanted(),
        [filter, order, anchor, count](store::SessionPager& pager) { return pager.page(filter, order, anchor, count); },
        [=, this](const Expected<QList<store::KeyedSession>>& rows) {
            if (generation != m_generation)
                return;
            if (!rows) {
                m_pending.remove(first);
                fail(rows.error());
                return;
            }
            Page page;
            page.generation = generation;
            page.shifts = shifts;
            page.first = first;
            page.asked = count;
            page.append = append;
            page.alignEnd = alignEnd;
            page.rows = *rows;
            applyPage(page);
        });
}

void SessionsModel::applyPage(const Page& page)
{
    if (page.generation != m_generation)
        return;
    m_pending.remove(page.first);
    if (page.baseline >= 0)
        m_baseline = page.baseline;
    if (page.append) {
        if (m_countKnown && page.baseline < 0)
            return; // the count came meanwhile: the rows exist as placeholders now
        const int size = int(m_rows.size());
        if (!page.rows.isEmpty()) {
            beginInsertRows({}, size, size + int(page.rows.size()) - 1);
            for (store::KeyedSession session : page.rows) {
                m_rows.push_back(nullptr);
                store(int(m_rows.size()) - 1, std::move(session));
            }
            endInsertRows();
        }
        m_lastPageShort = page.rows.size() < page.asked;
        if (m_lastPageShort && !m_countKnown) {
            m_countKnown = true; // everything is here
            setState(RowCountState::Complete);
        } else if (m_state == RowCountState::Unknown) {
            setState(RowCountState::Partial);
        }
        Q_EMIT rowsLoaded(size, int(page.rows.size()));
        return;
    }
    // Rows may have been inserted or removed since the page was asked for: each row goes where
    // the slot it was asked for has moved to.
    const int size = int(m_rows.size());
    const int start = page.alignEnd ? page.first + page.asked - int(page.rows.size()) : page.first;
    int low = std::numeric_limits<int>::max();
    int high = -1;
    int offset = 0;
    for (store::KeyedSession session : page.rows) {
        const int position = mappedPosition(start + offset++, page.shifts);
        if (position < 0 || position >= size)
            continue;
        store(position, std::move(session));
        low = std::min(low, position);
        high = std::max(high, position);
    }
    if (high >= 0) {
        Q_EMIT dataChanged(index(low, 0), index(high, ColumnCount - 1));
        Q_EMIT rowsLoaded(low, high - low + 1);
    }
    evictFarFrom(m_lastAsked);
}

int SessionsModel::mappedPosition(int position, int since) const
{
    for (std::size_t i = std::size_t(since); i < m_shiftLog.size() && position >= 0; ++i) {
        const auto [at, delta] = m_shiftLog[i];
        if (delta > 0 && at <= position)
            ++position;
        else if (delta < 0 && at < position)
            --position;
        else if (delta < 0 && at == position)
            position = -1; // that row is gone
    }
    return position;
}

void SessionsModel::shifted(int position, int delta)
{
    m_shiftLog.emplace_back(position, delta);
    m_shifts = int(m_shiftLog.size());
}

void SessionsModel::applyCount(int generation, qint64 count)
{
    if (generation != m_generation)
        return;
    const int total = int(std::min<qint64>(count, std::numeric_limits<int>::max() - 1));
    const int size = int(m_rows.size());
    if (total > size) {
        beginInsertRows({}, size, total - 1);
        m_rows.resize(std::size_t(total));
        endInsertRows();
    } else if (total < size && !m_countKnown) {
        beginRemoveRows({}, total, size - 1);
        for (int row = total; row < size; ++row) {
            if (m_rows[std::size_t(row)]) {
                m_ids.remove(m_rows[std::size_t(row)]->session.id);
                --m_loaded;
            }
        }
        m_rows.resize(std::size_t(total));
        endRemoveRows();
    }
    m_countKnown = true;
    setState(RowCountState::Complete);
    if (m_deferredFirst > 0) {
        const qint64 first = m_deferredFirst;
        const qint64 last = m_deferredLast;
        m_deferredFirst = m_deferredLast = 0;
        sessionsInserted(first, last);
    }
}

void SessionsModel::store(int position, store::KeyedSession&& session)
{
    auto& slot = m_rows[std::size_t(position)];
    if (slot) {
        m_ids.remove(slot->session.id);
        --m_loaded;
    }
    m_ids.insert(session.id);
    slot = std::make_unique<Row>(Row {std::move(session)});
    ++m_loaded;
}

void SessionsModel::evictFarFrom(int row)
{
    if (m_loaded <= maxLoadedRows)
        return;
    const int keep = maxLoadedRows * 3 / 4;
    int low = 0;
    int high = int(m_rows.size()) - 1;
    // Let go of the rows farthest from row, from whichever end is farther.
    while (m_loaded > keep && low <= high) {
        int& victim = (row - low) >= (high - row) ? low : high;
        auto& slot = m_rows[std::size_t(victim)];
        if (slot) {
            m_ids.remove(slot->session.id);
            slot.reset();
            --m_loaded;
        }
        if (&victim == &low)
            ++low;
        else
            --high;
    }
}

std::function<bool()> SessionsModel::stillWanted() const
{
    return [current = m_current, generation = m_generation] { return current->load() == generation; };
}

int SessionsModel::rowOfSession(const QString& sessionId) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i] && m_rows[i]->session.row.sessionId == sessionId)
            return int(i);
    }
    return -1;
}

void SessionsModel::sessionsInserted(qint64 firstId, qint64 lastId)
{
    if (!m_pager || lastId <= m_baseline)
        return;
    firstId = std::max(firstId, m_baseline + 1);
    if (!m_countKnown || m_insertInFlight) {
        // Later: once the count is there, or the insert in flight is placed.
        m_deferredFirst = m_deferredFirst > 0 ? std::min(m_deferredFirst, firstId) : firstId;
        m_deferredLast = std::max(m_deferredLast, lastId);
        return;
    }
    m_insertInFlight = true;
    const store::SessionFilter filter = m_filter;
    const store::SessionOrder order = m_order;
    const int generation = m_generation;
    m_pager->request<Placed>(
        this, stillWanted(),
        [filter, order, firstId, lastId](store::SessionPager& pager) -> Expected<Placed> {
            Placed placed;
            placed.through = lastId;
            if (placed.through == std::numeric_limits<qint64>::max()) {
                const auto maxId = pager.maxId();
                placed.through = maxId ? *maxId : firstId - 1;
            }
            auto rows = pager.idRange(filter, order, firstId, placed.through);
            if (!rows)
                return rows.error();
            store::SessionFilter upTo = filter;
            upTo.upToId = placed.through;
            for (store::KeyedSession& session : *rows) {
                const auto before = pager.countBefore(upTo, order, session.key);
                if (!before)
                    return before.error();
                placed.rows.append({*before, std::move(session)});
            }
            return placed;
        },
        [this, generation](const Expected<Placed>& placed) {
            if (generation != m_generation)
                return;
            m_insertInFlight = false;
            if (!placed)
                fail(placed.error());
            else
                applyInserted(generation, placed->rows, placed->through);
            if (generation == m_generation && m_deferredFirst > 0 && m_countKnown) {
                const qint64 first = m_deferredFirst;
                const qint64 last = m_deferredLast;
                m_deferredFirst = m_deferredLast = 0;
                sessionsInserted(first, last);
            }
        });
}

void SessionsModel::applyInserted(
    int generation, const QList<std::pair<qint64, store::KeyedSession>>& rows, qint64 lastId)
{
    if (generation != m_generation)
        return;
    m_baseline = std::max(m_baseline, lastId);
    auto sorted = rows;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [before, session] : sorted) {
        if (m_ids.contains(session.id))
            continue;
        const int position = int(std::clamp<qint64>(before, 0, qint64(m_rows.size())));
        beginInsertRows({}, position, position);
        m_rows.insert(m_rows.begin() + position, nullptr);
        m_new.insert(session.id);
        store(position, std::move(session));
        shifted(position, +1);
        endInsertRows();
    }
    if (m_shiftLog.size() > 100'000)
        restart(); // pages in flight are placed by replaying the log: do not let it grow forever
    if (!sorted.isEmpty())
        Q_EMIT liveChangeApplied();
}

void SessionsModel::sessionsUpdated(qint64 firstId, qint64 lastId)
{
    if (!m_pager)
        return;
    const bool known = firstId > 0 || lastId > 0;
    if (!known && !m_refreshTimer.isActive()) {
        // Which rows changed is not known (a SQLite write, new messages): the loaded active rows
        // are read again, at most every refreshIntervalMs however often the database changes.
        m_refreshTimer.start(refreshIntervalMs);
        return;
    }
    if (!known)
        return; // the timer is running: it reads them
    refreshRows(firstId, lastId);
}

void SessionsModel::refreshRows(qint64 firstId, qint64 lastId)
{
    QList<qint64> ids;
    const bool known = firstId > 0 || lastId > 0;
    for (const auto& row : m_rows) {
        if (!row)
            continue;
        const qint64 id = row->session.id;
        if (known ? (id >= firstId && id <= lastId) : row->session.row.active)
            ids << id;
    }
    if (ids.isEmpty())
        return;
    if (m_updateInFlight) {
        m_updateAgain = true;
        return;
    }
    m_updateInFlight = true;
    store::SessionFilter filter = m_filter;
    filter.upToId = m_baseline;
    const store::SessionOrder order = m_order;
    const int generation = m_generation;
    m_pager->request<QList<store::KeyedSession>>(
        this, stillWanted(),
        [filter, order, ids](store::SessionPager& pager) { return pager.byIds(filter, order, ids); },
        [this, generation, ids](const Expected<QList<store::KeyedSession>>& rows) {
            if (generation != m_generation)
                return;
            m_updateInFlight = false;
            if (!rows)
                fail(rows.error());
            else
                applyUpdated(generation, ids, *rows);
            if (m_updateAgain) {
                m_updateAgain = false;
                refreshRows(0, 0);
            }
        });
}

void SessionsModel::applyUpdated(int generation, const QList<qint64>& asked, const QList<store::KeyedSession>& rows)
{
    if (generation != m_generation)
        return;
    // One pass finds every row concerned (a search per row would scan the table each time).
    QSet<qint64> wanted(asked.cbegin(), asked.cend());
    QHash<qint64, int> positions;
    for (std::size_t i = 0; i < m_rows.size() && positions.size() < wanted.size(); ++i) {
        if (m_rows[i] && wanted.contains(m_rows[i]->session.id))
            positions.insert(m_rows[i]->session.id, int(i));
    }
    QSet<qint64> found;
    bool changed = false;
    for (store::KeyedSession session : rows) {
        found.insert(session.id);
        const int position = positions.value(session.id, -1);
        if (position < 0)
            continue;
        const store::SessionRow& old = m_rows[std::size_t(position)]->session.row;
        const bool same = old.active == session.row.active && old.endedAt == session.row.endedAt
            && old.durationSeconds == session.row.durationSeconds && old.messageCount == session.row.messageCount
            && old.endReason == session.row.endReason && old.metadata == session.row.metadata;
        if (same)
            continue;
        store(position, std::move(session));
        Q_EMIT dataChanged(index(position, 0), index(position, ColumnCount - 1));
        changed = true;
    }
    // Rows asked for that no longer match the filter (an ended session under "active only") go,
    // from the bottom up so that the positions found stay right.
    QList<int> gone;
    for (const qint64 id : asked) {
        if (!found.contains(id) && positions.contains(id))
            gone << positions.value(id);
    }
    std::sort(gone.begin(), gone.end(), std::greater<>());
    for (const int position : std::as_const(gone)) {
        const qint64 id = m_rows[std::size_t(position)]->session.id;
        beginRemoveRows({}, position, position);
        m_ids.remove(id);
        m_new.remove(id);
        m_rows.erase(m_rows.begin() + position);
        --m_loaded;
        shifted(position, -1);
        endRemoveRows();
        changed = true;
    }
    if (changed)
        Q_EMIT liveChangeApplied();
}

void SessionsModel::catchUp()
{
    if (!m_pager)
        return;
    if (!m_countKnown) {
        restart();
        return;
    }
    sessionsInserted(m_baseline + 1, std::numeric_limits<qint64>::max());
    sessionsUpdated(0, 0);
}

void SessionsModel::markAllSeen()
{
    if (m_new.isEmpty())
        return;
    m_new.clear();
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1), {NewRole});
}

void SessionsModel::setState(RowCountState state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT rowCountStateChanged(state);
}

void SessionsModel::fail(const Error& error)
{
    if (m_pending.contains(0) && m_rows.empty())
        m_pending.remove(0);
    Q_EMIT loadFailed(error);
}

int SessionsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool SessionsModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && m_state == RowCountState::Partial && !m_countKnown && !m_lastPageShort
        && !m_pending.contains(int(m_rows.size()));
}

void SessionsModel::fetchMore(const QModelIndex& parent)
{
    if (canFetchMore(parent))
        requestRange(int(m_rows.size()), windowSize, true);
}

QVariant SessionsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    m_lastAsked = row;
    const auto& slot = m_rows[std::size_t(row)];
    if (!slot) {
        requestWindowAt(row);
        if (role == LoadedRole)
            return false;
        if (role == Qt::DisplayRole && index.column() == SessionIdColumn)
            return tr("Loading…");
        return {};
    }
    const store::SessionRow& session = slot->session.row;
    switch (role) {
    case SessionIdRole:
        return session.sessionId;
    case RowIdRole:
        return slot->session.id;
    case LoadedRole:
        return true;
    case NewRole:
        return m_new.contains(slot->session.id);
    case ActiveRole:
        return session.active;
    case DurationSecondsRole:
        return session.durationSeconds ? QVariant(*session.durationSeconds) : QVariant();
    case StartedAtRole:
        return session.startedAt;
    case MetadataRole:
        return session.metadata;
    default:
        break;
    }
    if (role == Qt::TextAlignmentRole) {
        if (index.column() == DurationColumn || index.column() == MessageCountColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::ToolTipRole && index.column() == MetadataColumn)
        return QString::fromUtf8(QJsonDocument(session.metadata).toJson(QJsonDocument::Indented));
    if (role != Qt::DisplayRole && role != SortValueRole)
        return {};
    const bool raw = role == SortValueRole;
    switch (index.column()) {
    case SessionIdColumn:
        return session.sessionId;
    case UserIdColumn:
        return session.userId;
    case StartedAtColumn:
        return raw ? QVariant(session.startedAt) : QVariant(timeText(session.startedAt));
    case EndedAtColumn:
        return raw ? QVariant(session.endedAt) : QVariant(timeText(session.endedAt));
    case DurationColumn:
        if (!session.durationSeconds)
            return {};
        return raw ? QVariant(*session.durationSeconds) : QVariant(durationText(*session.durationSeconds));
    case ActiveColumn:
        return raw ? QVariant(session.active) : QVariant(session.active ? tr("active") : tr("ended"));
    case MessageCountColumn:
        return raw ? QVariant(session.messageCount) : QVariant(QLocale().toString(session.messageCount));
    case EndReasonColumn:
        return session.endReason;
    case MetadataColumn:
        return raw ? QVariant(session.metadata) : QVariant(metadataSummary(session.metadata));
    default:
        return {};
    }
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SessionIdColumn:
        return tr("Session");
    case UserIdColumn:
        return tr("User");
    case StartedAtColumn:
        return tr("Started");
    case EndedAtColumn:
        return tr("Ended");
    case DurationColumn:
        return tr("Duration");
    case ActiveColumn:
        return tr("State");
    case MessageCountColumn:
        return tr("Messages");
    case EndReasonColumn:
        return tr("End reason");
    case MetadataColumn:
        return tr("Metadata");
    default:
        return {};
    }
}

QHash<int, QByteArray> SessionsModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(SessionIdRole, "sessionId");
    names.insert(RowIdRole, "rowId");
    names.insert(LoadedRole, "loaded");
    names.insert(NewRole, "isNew");
    names.insert(ActiveRole, "active");
    names.insert(DurationSecondsRole, "durationSeconds");
    names.insert(StartedAtRole, "startedAt");
    names.insert(MetadataRole, "metadata");
    names.insert(SortValueRole, "sortValue");
    return names;
}

} // namespace voxtrack::models
