// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/queries.h"

#include <QAbstractTableModel>
#include <QSet>

#include <functional>
#include <memory>

namespace voxtrack::models {

class DatabaseThread;

/// The messages of one session, in order (seq, then id), loaded in pages on a thread of the
/// model's own and followed live through messagesInserted(). A message's role is there as text
/// (as stored: a bad database shows its "assistant") and as RoleRole, the voxtrack::Role for
/// delegates (-1 for a role outside the allowed set).
class MessagesModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { SeqColumn, RoleColumn, ContentColumn, AudioUrlColumn, CreatedAtColumn, MetadataColumn, ColumnCount };
    Q_ENUM(Column)

    enum Role {
        RoleRole = Qt::UserRole + 1, ///< int: a voxtrack::Role, or -1 for a role outside the set
        RoleNameRole, ///< QString as stored
        ContentRole, ///< QString
        AudioUrlRole, ///< QString, empty without one
        CreatedAtRole, ///< QDateTime, UTC
        MetadataRole, ///< QJsonValue: an object, or null
        MessageIdRole, ///< QString
        RowIdRole, ///< qint64
        SeqRole, ///< qint64, or invalid without one
        NewRole, ///< bool: arrived live since markAllSeen()
    };
    Q_ENUM(Role)

    static constexpr int pageSize = 500;

    explicit MessagesModel(QObject* parent = nullptr);
    ~MessagesModel() override;

    void setDatabase(const DatabaseUrl& url);
    /// Shows this session's messages (empty: none).
    void setSessionId(const QString& sessionId);
    [[nodiscard]] QString sessionId() const { return m_sessionId; }
    [[nodiscard]] bool isComplete() const { return m_complete; }

    /// Messages with ids in [firstId, lastId] were added somewhere: this session's appear in place.
    void messagesInserted(qint64 firstId, qint64 lastId);
    void reload();
    void markAllSeen();
    /// The transcript as plain text: "[time] role: content" a line each.
    [[nodiscard]] QString transcript() const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    [[nodiscard]] bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void loaded();
    void liveChangeApplied();
    void loadFailed(const voxtrack::Error& error);

private:
    void restart();
    void requestPage();
    void applyPage(int generation, const QList<store::MessageRow>& rows);
    void applyInserted(int generation, const QList<store::MessageRow>& rows);
    /// For a request: whether the model still wants its answer (no reset since it was made).
    [[nodiscard]] std::function<bool()> stillWanted() const;
    [[nodiscard]] static QVariantList keyOf(const store::MessageRow& row);
    [[nodiscard]] static bool before(const store::MessageRow& a, const store::MessageRow& b);

    QString m_sessionId;
    std::unique_ptr<DatabaseThread> m_thread;
    std::shared_ptr<std::atomic<int>> m_current;
    QList<store::MessageRow> m_rows;
    QSet<qint64> m_ids;
    QSet<qint64> m_new;
    int m_generation = 0;
    bool m_complete = false;
    bool m_loading = false;
};

} // namespace voxtrack::models
