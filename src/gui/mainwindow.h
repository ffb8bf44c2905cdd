// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QMainWindow>

#include <memory>
#include <optional>

class QLabel;

namespace Ui {
class MainWindow;
}

namespace voxtrack::store {
class ChangeFeed;
}

namespace voxtrack::models {
class ActivityLog;
}

namespace voxtrack::gui {

class ActivityPane;
class ConnectionBar;
class ConversationPage;
class DashboardPage;
class HealthPage;
class SessionsPage;
class SimulatorPage;

/// The voxtrack main window: the connection bar, one tab per tool (Simulator, Sessions,
/// Conversation, Dashboard, Health), the activity log below them, menus, shortcuts and a status
/// bar. Connecting to a database gives every page that database and one change feed they share,
/// so all of them follow it live. Remembers its geometry, docks and tab across runs.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    enum class Page { Simulator, Sessions, Conversation, Dashboard, Health };
    Q_ENUM(Page)

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    [[nodiscard]] ConnectionBar* connectionBar() const { return m_connectionBar; }
    [[nodiscard]] SimulatorPage* simulatorPage() const { return m_simulatorPage; }
    [[nodiscard]] SessionsPage* sessionsPage() const { return m_sessionsPage; }
    [[nodiscard]] ConversationPage* conversationPage() const { return m_conversationPage; }
    [[nodiscard]] DashboardPage* dashboardPage() const { return m_dashboardPage; }
    [[nodiscard]] HealthPage* healthPage() const { return m_healthPage; }
    [[nodiscard]] ActivityPane* activityPane() const { return m_activityPane; }
    [[nodiscard]] models::ActivityLog* activityLog() const { return m_activityLog; }
    /// The feed of the connected database, or null.
    [[nodiscard]] store::ChangeFeed* changeFeed() const { return m_feed.get(); }

    void showPage(Page page);
    [[nodiscard]] Page currentPage() const;
    /// Opens a session on the Conversation tab.
    void openSession(const QString& sessionId);
    /// A line under the title: "Demo" while the demo runs.
    void setBadge(const QString& text);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void useDatabase(const DatabaseUrl& url);
    void dropDatabase();
    void refreshCurrentPage();
    void showStatus(const QString& message);
    void showSettings();
    void showAbout();
    void restoreSettings();
    void saveSettings() const;
    [[nodiscard]] QWidget* pageWidget(Page page) const;

    std::unique_ptr<Ui::MainWindow> ui;
    ConnectionBar* m_connectionBar;
    SimulatorPage* m_simulatorPage;
    SessionsPage* m_sessionsPage;
    ConversationPage* m_conversationPage;
    DashboardPage* m_dashboardPage;
    HealthPage* m_healthPage;
    models::ActivityLog* m_activityLog;
    ActivityPane* m_activityPane;
    QLabel* m_databaseStatus;
    QLabel* m_feedStatus;
    QLabel* m_serverStatus;
    std::optional<DatabaseUrl> m_database;
    std::unique_ptr<store::ChangeFeed> m_feed;
};

} // namespace voxtrack::gui
