// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/queries.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QList>

#include <functional>
#include <memory>

namespace voxtrack::store {
class ChangeFeed;
struct Change;
} // namespace voxtrack::store

namespace voxtrack::models {

class DatabaseThread;

/// What reached the database, as a tracker's log would say it: "Started session … for user …",
/// "Saved agent message for session …", "Ended session … (duration: 12.3s, messages: 4, reason:
/// client_end)". Read from the rows themselves, so it tells what was stored whichever server
/// wrote it, and a role the schema should not allow shows up as a problem.
///
/// Follows a store::ChangeFeed from the moment the database is set: earlier rows are not listed.
/// The queries run on a thread of the model's own. At most maxLines lines are kept, the oldest
/// let go; one change adds at most maxLinesPerChange message lines and a count of the rest.
class ActivityLog : public QAbstractListModel {
    Q_OBJECT

public:
    enum class Kind { Started, Saved, Ended, Problem, Note };
    Q_ENUM(Kind)

    enum Role {
        KindRole = Qt::UserRole + 1, ///< int: a Kind
        TimeRole, ///< QDateTime (UTC) the row carries: started_at, created_at or ended_at
        SessionIdRole, ///< QString, empty for notes
        TextRole, ///< QString: the line without its time
    };
    Q_ENUM(Role)

    static constexpr int maxLines = 5000;
    static constexpr int maxLinesPerChange = 200;
    /// Open sessions remembered so that their end can be logged.
    static constexpr int maxOpenSessions = 2000;

    explicit ActivityLog(QObject* parent = nullptr);
    ~ActivityLog() override;

    /// Starts over on this database: what is there now is the baseline, changes after it are logged.
    void setDatabase(const DatabaseUrl& url);
    /// Forgets the database: no more lines until the next setDatabase().
    void clearDatabase();
    /// Applies the feed's changes to the log. The connection ends with the feed or the log.
    void follow(store::ChangeFeed& feed);
    /// Lines for these rows written somewhere (the feed calls it).
    void apply(const store::Change& change);
    void clear();

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    /// The baseline was read: from now on changes are logged.
    void ready();
    void failed(const voxtrack::Error& error);

private:
    struct Line {
        QDateTime at;
        Kind kind = Kind::Note;
        QString sessionId;
        QString text;
    };
    struct Baseline {
        qint64 lastSessionId = 0;
        qint64 lastMessageId = 0;
        QList<qint64> openSessions;
    };
    struct Batch {
        QList<store::KeyedSession> sessions;
        QList<store::MessageRow> messages;
        qint64 moreMessages = 0;
    };

    void append(QList<Line> lines);
    void request(std::function<Expected<Batch>(store::SessionPager&)> work);
    void applyBatch(const Batch& batch);
    [[nodiscard]] std::function<bool()> stillWanted() const;
    [[nodiscard]] static Line startedLine(const store::KeyedSession& session);
    [[nodiscard]] static Line endedLine(const store::KeyedSession& session);
    [[nodiscard]] static Line messageLine(const store::MessageRow& message);

    std::unique_ptr<DatabaseThread> m_thread;
    std::shared_ptr<std::atomic<int>> m_current;
    int m_generation = 0;
    bool m_ready = false;
    qint64 m_lastSessionId = 0;
    qint64 m_lastMessageId = 0;
    QList<qint64> m_open; ///< row ids of sessions seen open, oldest first
    QList<Line> m_lines;
};

} // namespace voxtrack::models
