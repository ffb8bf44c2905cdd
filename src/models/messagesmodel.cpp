// SPDX-License-Identifier: MIT
#include "models/messagesmodel.h"

#include "core/role.h"
#include "models/databasethread.h"

#include <QJsonDocument>

#include <algorithm>

namespace voxtrack::models {

MessagesModel::MessagesModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_current(std::make_shared<std::atomic<int>>(0))
{
}

MessagesModel::~MessagesModel()
{
    m_current->store(-1);
    m_thread.reset();
}

void MessagesModel::setDatabase(const DatabaseUrl& url)
{
    m_current->store(-1);
    m_thread = std::make_unique<DatabaseThread>(url);
    restart();
}

void MessagesModel::setSessionId(const QString& sessionId)
{
    if (sessionId == m_sessionId && m_thread)
        return;
    m_sessionId = sessionId;
    restart();
}

void MessagesModel::reload()
{
    restart();
}

void MessagesModel::restart()
{
    ++m_generation;
    m_current->store(m_generation);
    beginResetModel();
    m_rows.clear();
    m_ids.clear();
    m_new.clear();
    m_complete = m_sessionId.isEmpty();
    m_loading = false;
    endResetModel();
    if (m_thread && !m_sessionId.isEmpty())
        requestPage();
}

std::function<bool()> MessagesModel::stillWanted() const
{
    return [current = m_current, generation = m_generation] { return current->load() == generation; };
}

QVariantList MessagesModel::keyOf(const store::MessageRow& row)
{
    return {row.seq ? QVariant(*row.seq) : QVariant(), row.id};
}

bool MessagesModel::before(const store::MessageRow& a, const store::MessageRow& b)
{
    // seq order, rows without a seq last, then id: as the database orders them
    if (a.seq.has_value() != b.seq.has_value())
        return a.seq.has_value();
    if (a.seq && *a.seq != *b.seq)
        return *a.seq < *b.seq;
    return a.id < b.id;
}

void MessagesModel::requestPage()
{
    if (!m_thread || m_loading || m_complete)
        return;
    m_loading = true;
    QVariantList after = m_rows.isEmpty() ? QVariantList {} : keyOf(m_rows.constLast());
    const int generation = m_generation;
    const QString sessionId = m_sessionId;
    if (after.size() == 2 && after.constFirst().isNull())
        after.clear(); // no seq column: the first page holds every row
    m_thread->request<QList<store::MessageRow>>(
        this, stillWanted(),
        [sessionId, after](store::SessionPager& pager) { return pager.messages(sessionId, after, pageSize); },
        [this, generation](const Expected<QList<store::MessageRow>>& rows) {
            if (generation != m_generation)
                return;
            m_loading = false;
            if (!rows)
                Q_EMIT loadFailed(rows.error());
            else
                applyPage(generation, *rows);
        });
}

void MessagesModel::applyPage(int generation, const QList<store::MessageRow>& rows)
{
    if (generation != m_generation)
        return;
    QList<store::MessageRow> fresh;
    for (const store::MessageRow& row : rows) {
        if (!m_ids.contains(row.id))
            fresh.append(row);
    }
    if (!fresh.isEmpty()) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + fresh.size()) - 1);
        for (const store::MessageRow& row : std::as_const(fresh)) {
            m_ids.insert(row.id);
            m_rows.append(row);
        }
        endInsertRows();
    }
    // A page is read after the last (seq, id); rows without a seq are read in the first page.
    m_complete = rows.size() < pageSize || !rows.constLast().seq;
    if (m_complete)
        Q_EMIT loaded();
}

void MessagesModel::messagesInserted(qint64 firstId, qint64 lastId)
{
    if (!m_thread || m_sessionId.isEmpty())
        return;
    const int generation = m_generation;
    const QString sessionId = m_sessionId;
    m_thread->request<QList<store::MessageRow>>(
        this, stillWanted(),
        [sessionId, firstId, lastId](
            store::SessionPager& pager) { return pager.messageIdRange(sessionId, firstId, lastId); },
        [this, generation](const Expected<QList<store::MessageRow>>& rows) {
            if (!rows) {
                if (generation == m_generation)
                    Q_EMIT loadFailed(rows.error());
                return;
            }
            applyInserted(generation, *rows);
        });
}

void MessagesModel::applyInserted(int generation, const QList<store::MessageRow>& rows)
{
    if (generation != m_generation)
        return;
    bool changed = false;
    for (const store::MessageRow& row : rows) {
        if (m_ids.contains(row.id))
            continue;
        const auto at = std::upper_bound(m_rows.cbegin(), m_rows.cend(), row, &MessagesModel::before);
        const int position = int(at - m_rows.cbegin());
        if (position == m_rows.size() && !m_complete)
            continue; // beyond what is loaded: the next page brings it
        beginInsertRows({}, position, position);
        m_rows.insert(position, row);
        m_ids.insert(row.id);
        m_new.insert(row.id);
        endInsertRows();
        changed = true;
    }
    if (changed)
        Q_EMIT liveChangeApplied();
}

void MessagesModel::markAllSeen()
{
    if (m_new.isEmpty())
        return;
    m_new.clear();
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1), {NewRole});
}

QString MessagesModel::transcript() const
{
    QString text;
    for (const store::MessageRow& row : m_rows) {
        text += QStringLiteral("[%1] %2: %3\n")
                    .arg(row.createdAt.toLocalTime().toString(QStringLiteral("HH:mm:ss")), row.role, row.content);
    }
    return text;
}

int MessagesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MessagesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool MessagesModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && !m_complete && !m_loading && m_thread;
}

void MessagesModel::fetchMore(const QModelIndex& parent)
{
    if (canFetchMore(parent))
        requestPage();
}

QVariant MessagesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const store::MessageRow& row = m_rows.at(index.row());
    switch (role) {
    case RoleRole: {
        const auto parsed = parseRole(row.role);
        return parsed ? int(*parsed) : -1;
    }
    case RoleNameRole:
        return row.role;
    case ContentRole:
        return row.content;
    case AudioUrlRole:
        return row.audioUrl;
    case CreatedAtRole:
        return row.createdAt;
    case MetadataRole:
        return QVariant::fromValue(row.metadata);
    case MessageIdRole:
        return row.messageId;
    case RowIdRole:
        return row.id;
    case SeqRole:
        return row.seq ? QVariant(*row.seq) : QVariant();
    case NewRole:
        return m_new.contains(row.id);
    case Qt::DisplayRole:
        break;
    case Qt::ToolTipRole:
        if (index.column() == MetadataColumn || index.column() == ContentColumn) {
            return index.column() == ContentColumn
                ? row.content
                : QString::fromUtf8(QJsonDocument(row.metadata.toObject()).toJson(QJsonDocument::Indented));
        }
        return {};
    default:
        return {};
    }
    switch (index.column()) {
    case SeqColumn:
        return row.seq ? QVariant(*row.seq) : QVariant();
    case RoleColumn:
        return row.role;
    case ContentColumn:
        return row.content;
    case AudioUrlColumn:
        return row.audioUrl;
    case CreatedAtColumn:
        return row.createdAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    case MetadataColumn:
        return row.metadata.isObject()
            ? QString::fromUtf8(QJsonDocument(row.metadata.toObject()).toJson(QJsonDocument::Compact))
            : QString();
    default:
        return {};
    }
}

QVariant MessagesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SeqColumn:
        return tr("Seq");
    case RoleColumn:
        return tr("Role");
    case ContentColumn:
        return tr("Content");
    case AudioUrlColumn:
        return tr("Audio");
    case CreatedAtColumn:
        return tr("Time");
    case MetadataColumn:
        return tr("Metadata");
    default:
        return {};
    }
}

QHash<int, QByteArray> MessagesModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(RoleRole, "role");
    names.insert(RoleNameRole, "roleName");
    names.insert(ContentRole, "content");
    names.insert(AudioUrlRole, "audioUrl");
    names.insert(CreatedAtRole, "createdAt");
    names.insert(MetadataRole, "metadata");
    names.insert(MessageIdRole, "messageId");
    names.insert(RowIdRole, "rowId");
    names.insert(SeqRole, "seq");
    names.insert(NewRole, "isNew");
    return names;
}

} // namespace voxtrack::models
