// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QPointer>

namespace voxtrack::models {

/// Shows a statistics model's raw values to QtCharts model mappers, which read only
/// Qt::DisplayRole: DisplayRole answers StatisticsTableModel::ValueRole, a number as a number and
/// a QDateTime as its milliseconds since the epoch (a double, as QDateTimeAxis plots it). Labels
/// (a histogram bin's range, a role's name) stay text. Every other role, the headers included,
/// passes through unchanged, and a source change of ValueRole is reported as one of DisplayRole.
///
/// A proxy of flat tables (the statistics models), read-only. It is not a QIdentityProxyModel on
/// purpose: QAbstractProxyModel announces a header change when its source gains its first rows,
/// before the rows themselves, and QBarModelMapper (Qt 6.4) answers it by reading a bar set that
/// does not exist yet. This proxy forwards the source's signals in the source's order.
class ChartValueProxy : public QAbstractTableModel {
    Q_OBJECT

public:
    explicit ChartValueProxy(QObject* parent = nullptr);
    /// A proxy of source (not owned), a child of parent.
    ChartValueProxy(QAbstractItemModel* source, QObject* parent);

    void setSourceModel(QAbstractItemModel* source);
    [[nodiscard]] QAbstractItemModel* sourceModel() const { return m_source; }

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    /// Read-only: mappers write a series' edits back, and the statistics are the database's.
    [[nodiscard]] Qt::ItemFlags flags(const QModelIndex& index) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    /// What DisplayRole answers for a raw value.
    [[nodiscard]] static QVariant chartValue(const QVariant& value);

private:
    [[nodiscard]] QModelIndex sourceIndex(const QModelIndex& index) const;

    QPointer<QAbstractItemModel> m_source;
    QList<QMetaObject::Connection> m_connections;
};

} // namespace voxtrack::models
