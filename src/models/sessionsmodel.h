// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/queries.h"

#include <QAbstractTableModel>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace voxtrack::models {

/// A duration for people: "36.6 s", "3 min 05 s", "1 h 02 min".
[[nodiscard]] QString durationText(double seconds);

class DatabaseThread;

/// The sessions of a conversation database as a live, paged table.
///
/// Rows are loaded in windows on a thread of the model's own (with its own read-only
/// connection), by keyset from a loaded neighbour where there is one, from the end for the last
/// rows, by offset otherwise; the table is never read whole. The row count comes from a COUNT on
/// a second thread: until it arrives the model grows page by page (canFetchMore); then every
/// row exists, and rows not loaded yet show a placeholder and are fetched when asked for. At
/// most maxLoadedRows rows are held; the farthest from what was last asked for are let go.
///
/// The model follows the database through sessionsInserted() / sessionsUpdated() (a change
/// feed calls them): new rows are inserted where the order puts them and ended sessions change
/// in place, with proper row signals, so views keep their scroll position and selection.
/// A reload() or a new filter or order starts again (a model reset).
class SessionsModel : public QAbstractTableModel {
    Q_OBJECT
    Q_PROPERTY(RowCountState rowCountState READ rowCountState NOTIFY rowCountStateChanged)

public:
    enum Column {
        SessionIdColumn,
        UserIdColumn,
        StartedAtColumn,
        EndedAtColumn,
        DurationColumn,
        ActiveColumn,
        MessageCountColumn,
        EndReasonColumn,
        MetadataColumn,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role {
        SessionIdRole = Qt::UserRole + 1, ///< QString
        RowIdRole, ///< qint64, the row's id
        LoadedRole, ///< bool: false for a placeholder
        NewRole, ///< bool: arrived live since markAllSeen()
        ActiveRole, ///< bool
        DurationSecondsRole, ///< double, or invalid without one
        StartedAtRole, ///< QDateTime, UTC
        MetadataRole, ///< QJsonObject
        SortValueRole, ///< raw value of the column (numbers as numbers), for delegates and proxies
    };
    Q_ENUM(Role)

    /// Unknown: nothing loaded yet. Partial: the first rows, the total still being counted.
    /// Complete: rowCount() is every matching row.
    enum class RowCountState { Unknown, Partial, Complete };
    Q_ENUM(RowCountState)

    static constexpr int windowSize = 200;
    static constexpr int maxLoadedRows = 20'000;
    static constexpr int refreshIntervalMs = 250;

    explicit SessionsModel(QObject* parent = nullptr);
    ~SessionsModel() override;

    /// Starts showing the database at url (opened read-only on the model's threads).
    void setDatabase(const DatabaseUrl& url);
    /// No database: no rows, nothing loading.
    void clearDatabase();
    [[nodiscard]] bool hasDatabase() const { return m_pager != nullptr; }
    void setFilter(const store::SessionFilter& filter);
    [[nodiscard]] const store::SessionFilter& filter() const { return m_filter; }
    [[nodiscard]] store::SessionOrder order() const { return m_order; }
    /// Columns with an index behind them: session, user, started.
    [[nodiscard]] static bool isSortable(int column);
    void reload();

    [[nodiscard]] RowCountState rowCountState() const { return m_state; }
    [[nodiscard]] int loadedRowCount() const { return m_loaded; }
    /// The row of a session among the loaded rows, or -1.
    [[nodiscard]] int rowOfSession(const QString& sessionId) const;

    /// Sessions with ids in [firstId, lastId] were added: those that match appear where they belong.
    void sessionsInserted(qint64 firstId, qint64 lastId);
    /// Sessions with ids in [firstId, lastId] changed; firstId = lastId = 0 when it is not known
    /// which (then the loaded active sessions are read again).
    void sessionsUpdated(qint64 firstId, qint64 lastId);
    /// After changes may have been missed (a lost connection): new rows since the last known id
    /// are added, the loaded rows read again, and when the count disagrees, the model reloads.
    void catchUp();
    /// Clears NewRole on every row.
    void markAllSeen();

    // QAbstractItemModel
    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    [[nodiscard]] bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    void sort(int column, Qt::SortOrder order) override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void rowCountStateChanged(voxtrack::models::SessionsModel::RowCountState state);
    /// Rows [first, first + count) were filled in.
    void rowsLoaded(int first, int count);
    /// Live rows were placed or changed.
    void liveChangeApplied();
    /// A query failed: the model keeps what it has.
    void loadFailed(const voxtrack::Error& error);

private:
    struct Row;
    struct Page;
    struct FirstPage;
    struct Placed;

    void restart();
    /// For a request: whether the model still wants its answer (no reset since it was made).
    [[nodiscard]] std::function<bool()> stillWanted() const;
    void requestCount();
    void requestWindowAt(int row) const;
    void requestRange(int first, int count, bool append);
    void applyPage(const Page& page);
    void applyCount(int generation, qint64 count);
    void applyInserted(int generation, const QList<std::pair<qint64, store::KeyedSession>>& rows, qint64 lastId);
    void refreshRows(qint64 firstId, qint64 lastId);
    void applyUpdated(int generation, const QList<qint64>& asked, const QList<store::KeyedSession>& rows);
    void store(int position, store::KeyedSession&& session);
    void evictFarFrom(int row);
    void setState(RowCountState state);
    void fail(const Error& error);
    /// Where a row that was at position when the log had `since` entries is now; -1 if removed.
    [[nodiscard]] int mappedPosition(int position, int since) const;
    void shifted(int position, int delta);

    store::SessionFilter m_filter;
    store::SessionOrder m_order;
    std::unique_ptr<DatabaseThread> m_pager;
    std::unique_ptr<DatabaseThread> m_counter;
    std::shared_ptr<std::atomic<int>> m_current; ///< the generation jobs check before running

    std::vector<std::unique_ptr<Row>> m_rows;
    QSet<qint64> m_ids; ///< ids of the loaded rows
    QSet<qint64> m_new;
    int m_loaded = 0;
    int m_generation = 0;
    std::vector<std::pair<int, int>> m_shiftLog; ///< rows inserted (+1) or removed (-1), at a position, in order
    int m_shifts = 0; ///< the log's length: where a page asked for now starts replaying it
    qint64 m_baseline = 0; ///< rows up to this id are in the snapshot; later ones come live
    RowCountState m_state = RowCountState::Unknown;
    bool m_countKnown = false;
    bool m_lastPageShort = false;
    qint64 m_deferredFirst = 0; ///< inserted ids waiting for the count or the insert in flight
    qint64 m_deferredLast = 0;
    bool m_insertInFlight = false;
    bool m_updateInFlight = false;
    bool m_updateAgain = false;
    QTimer m_refreshTimer;
    mutable QSet<int> m_pending; ///< first rows of windows requested and not back yet
    mutable int m_lastAsked = 0;
};

} // namespace voxtrack::models
