// SPDX-License-Identifier: MIT
#include "models/chartvalueproxy.h"

#include "models/statisticsmodels.h"

#include <QDateTime>

namespace voxtrack::models {

ChartValueProxy::ChartValueProxy(QObject* parent)
    : QAbstractTableModel(parent)
{
}

ChartValueProxy::ChartValueProxy(QAbstractItemModel* source, QObject* parent)
    : ChartValueProxy(parent)
{
    setSourceModel(source);
}

void ChartValueProxy::setSourceModel(QAbstractItemModel* source)
{
    if (source == m_source)
        return;
    beginResetModel();
    for (const QMetaObject::Connection& connection : std::as_const(m_connections))
        disconnect(connection);
    m_connections.clear();
    m_source = source;
    if (source) {
        using Model = QAbstractItemModel;
        // Only the top level of a table: a child index of the source is no row of this proxy.
        auto topLevel = [](const QModelIndex& parent) { return !parent.isValid(); };
        m_connections << connect(source, &Model::modelAboutToBeReset, this, &ChartValueProxy::beginResetModel)
                      << connect(source, &Model::modelReset, this, &ChartValueProxy::endResetModel)
                      // A table has no persistent indexes to move row by row here: a new layout is a reset.
                      << connect(source, &Model::layoutAboutToBeChanged, this, &ChartValueProxy::beginResetModel)
                      << connect(source, &Model::layoutChanged, this, &ChartValueProxy::endResetModel)
                      << connect(source, &Model::rowsAboutToBeInserted, this,
                             [this, topLevel](const QModelIndex& parent, int first, int last) {
                                 if (topLevel(parent))
                                     beginInsertRows({}, first, last);
                             })
                      << connect(source, &Model::rowsInserted, this,
                             [this, topLevel](const QModelIndex& parent) {
                                 if (topLevel(parent))
                                     endInsertRows();
                             })
                      << connect(source, &Model::rowsAboutToBeRemoved, this,
                             [this, topLevel](const QModelIndex& parent, int first, int last) {
                                 if (topLevel(parent))
                                     beginRemoveRows({}, first, last);
                             })
                      << connect(source, &Model::rowsRemoved, this,
                             [this, topLevel](const QModelIndex& parent) {
                                 if (topLevel(parent))
                                     endRemoveRows();
                             })
                      << connect(source, &Model::rowsAboutToBeMoved, this, &ChartValueProxy::beginResetModel)
                      << connect(source, &Model::rowsMoved, this, &ChartValueProxy::endResetModel)
                      << connect(source, &Model::columnsAboutToBeInserted, this,
                             [this, topLevel](const QModelIndex& parent, int first, int last) {
                                 if (topLevel(parent))
                                     beginInsertColumns({}, first, last);
                             })
                      << connect(source, &Model::columnsInserted, this,
                             [this, topLevel](const QModelIndex& parent) {
                                 if (topLevel(parent))
                                     endInsertColumns();
                             })
                      << connect(source, &Model::columnsAboutToBeRemoved, this,
                             [this, topLevel](const QModelIndex& parent, int first, int last) {
                                 if (topLevel(parent))
                                     beginRemoveColumns({}, first, last);
                             })
                      << connect(source, &Model::columnsRemoved, this,
                             [this, topLevel](const QModelIndex& parent) {
                                 if (topLevel(parent))
                                     endRemoveColumns();
                             })
                      << connect(source, &Model::columnsAboutToBeMoved, this, &ChartValueProxy::beginResetModel)
                      << connect(source, &Model::columnsMoved, this, &ChartValueProxy::endResetModel)
                      << connect(source, &Model::headerDataChanged, this, &ChartValueProxy::headerDataChanged)
                      << connect(source, &Model::dataChanged, this,
                             [this](
                                 const QModelIndex& topLeft, const QModelIndex& bottomRight, const QList<int>& roles) {
                                 if (topLeft.parent().isValid())
                                     return;
                                 QList<int> changed = roles;
                                 if (roles.contains(StatisticsTableModel::ValueRole)
                                     && !roles.contains(Qt::DisplayRole))
                                     changed << Qt::DisplayRole;
                                 Q_EMIT dataChanged(index(topLeft.row(), topLeft.column()),
                                     index(bottomRight.row(), bottomRight.column()), changed);
                             })
                      << connect(source, &QObject::destroyed, this, [this] { setSourceModel(nullptr); });
    }
    endResetModel();
}

int ChartValueProxy::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_source ? 0 : m_source->rowCount();
}

int ChartValueProxy::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_source ? 0 : m_source->columnCount();
}

QModelIndex ChartValueProxy::sourceIndex(const QModelIndex& index) const
{
    return m_source && index.isValid() ? m_source->index(index.row(), index.column()) : QModelIndex();
}

QVariant ChartValueProxy::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QModelIndex source = sourceIndex(index);
    if (role != Qt::DisplayRole)
        return source.data(role);
    return chartValue(source.data(StatisticsTableModel::ValueRole));
}

QVariant ChartValueProxy::headerData(int section, Qt::Orientation orientation, int role) const
{
    return m_source ? m_source->headerData(section, orientation, role) : QVariant();
}

Qt::ItemFlags ChartValueProxy::flags(const QModelIndex& index) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    return sourceIndex(index).flags() & ~Qt::ItemIsEditable;
}

QHash<int, QByteArray> ChartValueProxy::roleNames() const
{
    return m_source ? m_source->roleNames() : QAbstractTableModel::roleNames();
}

QVariant ChartValueProxy::chartValue(const QVariant& value)
{
    if (value.metaType().id() == QMetaType::QDateTime) {
        const QDateTime time = value.toDateTime();
        return time.isValid() ? QVariant(double(time.toMSecsSinceEpoch())) : QVariant();
    }
    return value;
}

} // namespace voxtrack::models
