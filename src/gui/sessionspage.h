// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QTimer>
#include <QWidget>

#include <memory>
#include <optional>

namespace Ui {
class SessionsPage;
}

namespace voxtrack::store {
class ChangeFeed;
struct SessionFilter;
} // namespace voxtrack::store

namespace voxtrack::models {
class SessionsModel;
}

namespace voxtrack::gui {

/// The Sessions tab: the live, paged table of a database's sessions with its filters. Rows that
/// arrived live since the page was last looked at are highlighted; the selection stays on its
/// session while rows come and go.
class SessionsPage : public QWidget {
    Q_OBJECT

public:
    explicit SessionsPage(QWidget* parent = nullptr);
    ~SessionsPage() override;

    /// Shows this database's sessions, following feed while live (feed may be null: no live
    /// updates). The feed must outlive the page or the next setDatabase()/clearDatabase().
    void setDatabase(const DatabaseUrl& url, store::ChangeFeed* feed);
    void clearDatabase();
    [[nodiscard]] models::SessionsModel* model() const { return m_model; }
    [[nodiscard]] bool isLive() const;
    void setLive(bool live);
    /// The session of the selected row, or empty.
    [[nodiscard]] QString selectedSessionId() const;
    /// The filter the fields describe (metadata written key=value; without "=", any value of the key is not offered).
    [[nodiscard]] store::SessionFilter filterFromFields() const;

Q_SIGNALS:
    /// The selected session changed (empty: none).
    void sessionSelected(const QString& sessionId);
    /// A row was activated (double-click, Return): open its session.
    void sessionActivated(const QString& sessionId);
    void statusMessage(const QString& message);

protected:
    /// Leaving the page is a look taken: what arrived until then is no longer new.
    void hideEvent(QHideEvent* event) override;

private:
    void applyFilter();
    void updateCount();
    void followFeed();

    std::unique_ptr<Ui::SessionsPage> ui;
    models::SessionsModel* m_model;
    store::ChangeFeed* m_feed = nullptr;
    /// The connections to the feed while live: deleting it stops following.
    std::unique_ptr<QObject> m_liveLink;
    std::optional<DatabaseUrl> m_url;
    QTimer m_filterDelay;
};

} // namespace voxtrack::gui
