// SPDX-License-Identifier: MIT
#include "gui/mainwindow.h"
#include "ui_mainwindow.h"

#include "gui/activitypane.h"
#include "gui/connectionbar.h"
#include "gui/connectionprofiles.h"
#include "gui/conversationpage.h"
#include "gui/dashboardpage.h"
#include "gui/healthpage.h"
#include "gui/loadpanel.h"
#include "gui/sessionspage.h"
#include "gui/settingsdialog.h"
#include "gui/simulatorpage.h"
#include "models/activitylog.h"
#include "store/changefeed.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QSettings>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QUuid>

#include <algorithm>

namespace voxtrack::gui {

namespace {

const auto geometryKey = QLatin1String("MainWindow/geometry");
const auto stateKey = QLatin1String("MainWindow/state");
const auto tabKey = QLatin1String("MainWindow/tab");

std::unique_ptr<QSettings> settings()
{
    return userSettings();
}

/// The SQLite library Qt's driver uses, asked of an in-memory database.
QString sqliteVersion()
{
    const QString name = QStringLiteral("voxtrack-about-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    QString version;
    {
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        database.setDatabaseName(QStringLiteral(":memory:"));
        if (database.open()) {
            QSqlQuery query(QStringLiteral("SELECT sqlite_version()"), database);
            if (query.next())
                version = query.value(0).toString();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return version.isEmpty() ? MainWindow::tr("not available") : version;
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , ui(std::make_unique<Ui::MainWindow>())
    , m_connectionBar(new ConnectionBar(this))
    , m_simulatorPage(new SimulatorPage(this))
    , m_sessionsPage(new SessionsPage(this))
    , m_conversationPage(new ConversationPage(this))
    , m_dashboardPage(new DashboardPage(this))
    , m_healthPage(new HealthPage(this))
    , m_activityLog(new models::ActivityLog(this))
    , m_activityPane(new ActivityPane(m_activityLog, this))
    , m_databaseStatus(new QLabel(this))
    , m_feedStatus(new QLabel(this))
    , m_serverStatus(new QLabel(this))
{
    ui->setupUi(this);
    ui->centralLayout->insertWidget(0, m_connectionBar);
    ui->tabs->addTab(m_simulatorPage, tr("S&imulator"));
    ui->tabs->addTab(m_sessionsPage, tr("&Sessions"));
    ui->tabs->addTab(m_conversationPage, tr("&Conversation"));
    ui->tabs->addTab(m_dashboardPage, tr("&Dashboard"));
    ui->tabs->addTab(m_healthPage, tr("&Health"));

    auto* dock = new QDockWidget(tr("Activity"), this);
    dock->setObjectName(QStringLiteral("activityDock"));
    dock->setWidget(m_activityPane);
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    resizeDocks({dock}, {190}, Qt::Vertical);
    QAction* activityAction = dock->toggleViewAction();
    activityAction->setText(tr("&Activity Log"));
    activityAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    ui->viewMenu->addSeparator();
    ui->viewMenu->addAction(activityAction);

    for (QLabel* label : {m_serverStatus, m_databaseStatus, m_feedStatus})
        ui->statusBar->addPermanentWidget(label);
    m_serverStatus->setText(tr("No server"));
    m_databaseStatus->setText(tr("No database"));

    // Pages: Ctrl+1 … Ctrl+5.
    const QList<QAction*> pageActions {
        ui->simulatorAction, ui->sessionsAction, ui->conversationAction, ui->dashboardAction, ui->healthAction};
    for (int i = 0; i < pageActions.size(); ++i) {
        connect(pageActions.at(i), &QAction::triggered, this, [this, i] { showPage(Page(i)); });
    }
    connect(ui->connectAction, &QAction::triggered, m_connectionBar, &ConnectionBar::focusDatabaseField);
    connect(ui->disconnectAction, &QAction::triggered, m_connectionBar, &ConnectionBar::disconnectAll);
    connect(ui->refreshAction, &QAction::triggered, this, &MainWindow::refreshCurrentPage);
    // The Dashboard and Health pages answer F5 themselves; two owners would make it ambiguous.
    connect(ui->tabs, &QTabWidget::currentChanged, this, [this] {
        const Page page = currentPage();
        const bool pageOwnsF5 = page == Page::Dashboard || page == Page::Health;
        ui->refreshAction->setShortcut(pageOwnsF5 ? QKeySequence() : QKeySequence(Qt::Key_F5));
    });
    connect(ui->settingsAction, &QAction::triggered, this, &MainWindow::showSettings);
    connect(ui->quitAction, &QAction::triggered, this, &QWidget::close);
    connect(ui->aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
    connect(ui->aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);

    connect(m_connectionBar, &ConnectionBar::databaseConnected, this, &MainWindow::useDatabase);
    connect(m_connectionBar, &ConnectionBar::databaseDisconnected, this, &MainWindow::dropDatabase);
    connect(m_connectionBar, &ConnectionBar::serverConnected, this, [this](const QUrl& url) {
        m_simulatorPage->setServerUrl(url);
        m_serverStatus->setText(tr("Server %1").arg(url.authority()));
    });
    connect(m_connectionBar, &ConnectionBar::serverDisconnected, this, [this] {
        m_simulatorPage->setServerUrl({});
        m_serverStatus->setText(tr("No server"));
    });

    connect(m_sessionsPage, &SessionsPage::sessionSelected, this, [this](const QString& sessionId) {
        if (!sessionId.isEmpty())
            m_conversationPage->setSessionId(sessionId);
    });
    connect(m_sessionsPage, &SessionsPage::sessionActivated, this, &MainWindow::openSession);
    connect(m_healthPage, &HealthPage::sessionRequested, this, &MainWindow::openSession);
    connect(m_activityPane, &ActivityPane::sessionRequested, this, &MainWindow::openSession);
    connect(m_simulatorPage, &SimulatorPage::sessionStarted, this,
        [this](const QString& sessionId) { m_conversationPage->setSessionId(sessionId); });

    // Every page reports in the status bar.
    connect(m_connectionBar, &ConnectionBar::statusMessage, this, &MainWindow::showStatus);
    connect(m_simulatorPage, &SimulatorPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_sessionsPage, &SessionsPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_conversationPage, &ConversationPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_dashboardPage, &DashboardPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_healthPage, &HealthPage::statusMessage, this, &MainWindow::showStatus);
    connect(
        m_activityLog, &models::ActivityLog::failed, this, [this](const Error& error) { showStatus(error.message); });

    dropDatabase();
    restoreSettings();
}

MainWindow::~MainWindow()
{
    // The pages hold the feed: they let go of it first.
    m_sessionsPage->clearDatabase();
    m_activityLog->clearDatabase();
}

void MainWindow::useDatabase(const DatabaseUrl& url)
{
    dropDatabase();
    m_database = url;
    m_feed = std::make_unique<store::ChangeFeed>(url);
    connect(m_feed.get(), &store::ChangeFeed::stateChanged, this,
        [this](store::ChangeFeed::State state, const QString& message) {
            switch (state) {
            case store::ChangeFeed::State::Connecting:
                m_feedStatus->setText(tr("Live: connecting…"));
                break;
            case store::ChangeFeed::State::Live:
                m_feedStatus->setText(tr("Live"));
                break;
            case store::ChangeFeed::State::Lost:
                m_feedStatus->setText(tr("Live updates lost"));
                showStatus(message);
                break;
            }
            m_feedStatus->setToolTip(message);
        });
    for (QWidget* page : std::initializer_list<QWidget*> {m_sessionsPage, m_conversationPage, m_dashboardPage})
        page->setEnabled(true);
    m_activityLog->follow(*m_feed);
    m_activityLog->setDatabase(url);
    m_sessionsPage->setDatabase(url, m_feed.get());
    m_conversationPage->setDatabase(url, m_feed.get());
    m_dashboardPage->setDatabase(url, m_feed.get());
    m_healthPage->setDatabase(url);
    m_simulatorPage->setDatabase(url);
    m_databaseStatus->setText(url.isPostgreSql() ? tr("PostgreSQL %1").arg(url.databaseName())
                                                 : tr("SQLite %1").arg(QFileInfo(url.sqlitePath()).fileName()));
    m_databaseStatus->setToolTip(url.toDisplayString());
    m_feed->start();
}

void MainWindow::dropDatabase()
{
    m_sessionsPage->clearDatabase();
    m_activityLog->clearDatabase();
    m_conversationPage->setSessionId({});
    // Pages without a database are shown but cannot be used until the next connection.
    for (QWidget* page : std::initializer_list<QWidget*> {m_sessionsPage, m_conversationPage, m_dashboardPage})
        page->setEnabled(false);
    m_simulatorPage->setDatabase(std::nullopt);
    m_feed.reset();
    m_database.reset();
    m_databaseStatus->setText(tr("No database"));
    m_databaseStatus->setToolTip({});
    m_feedStatus->clear();
}

void MainWindow::showPage(Page page)
{
    ui->tabs->setCurrentWidget(pageWidget(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return Page(std::max(ui->tabs->currentIndex(), 0));
}

QWidget* MainWindow::pageWidget(Page page) const
{
    switch (page) {
    case Page::Simulator:
        return m_simulatorPage;
    case Page::Sessions:
        return m_sessionsPage;
    case Page::Conversation:
        return m_conversationPage;
    case Page::Dashboard:
        return m_dashboardPage;
    case Page::Health:
        return m_healthPage;
    }
    return m_simulatorPage;
}

void MainWindow::openSession(const QString& sessionId)
{
    if (sessionId.isEmpty())
        return;
    m_conversationPage->setSessionId(sessionId);
    showPage(Page::Conversation);
}

void MainWindow::setBadge(const QString& text)
{
    setWindowTitle(text.isEmpty() ? tr("Voxtrack") : tr("Voxtrack — %1").arg(text));
}

void MainWindow::refreshCurrentPage()
{
    switch (currentPage()) {
    case Page::Sessions:
        if (m_database)
            m_sessionsPage->setDatabase(*m_database, m_feed.get());
        break;
    case Page::Conversation:
        m_conversationPage->setSessionId(m_conversationPage->sessionId());
        break;
    case Page::Dashboard:
        m_dashboardPage->reload();
        break;
    case Page::Health:
        m_healthPage->runDoctor();
        break;
    case Page::Simulator:
        break;
    }
}

void MainWindow::showStatus(const QString& message)
{
    ui->statusBar->showMessage(message, 15000);
}

void MainWindow::showSettings()
{
    SettingsDialog dialog(this);
    dialog.exec();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    const LoadPanel* load = m_simulatorPage->loadPanel();
    if (load && load->isRunning() && confirmQuitDuringLoadRun()) {
        const auto answer = QMessageBox::question(this, tr("Quit Voxtrack?"),
            tr("A load run is going. Quitting stops it: open sessions are dropped without their end. Quit anyway?"));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    saveSettings();
    event->accept();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Voxtrack"),
        tr("<h3>Voxtrack %1</h3>"
           "<p>A monitoring and test harness for voice-agent backends that track conversations in a database: "
           "a simulated voice client that drives conversations, one by hand or thousands at once, and a live "
           "inspector of the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite, "
           "with the faults that break tracking found by the doctor.</p>"
           "<p>Qt %2 (built with Qt %3)<br/>SQLite %4<br/>Passwords kept in the system keychain through "
           "QtKeychain</p>")
            .arg(QStringLiteral(VOXTRACK_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
                sqliteVersion()));
}

void MainWindow::restoreSettings()
{
    const auto stored = settings();
    restoreGeometry(stored->value(geometryKey).toByteArray());
    restoreState(stored->value(stateKey).toByteArray());
    ui->tabs->setCurrentIndex(std::clamp(stored->value(tabKey, 0).toInt(), 0, ui->tabs->count() - 1));
}

void MainWindow::saveSettings() const
{
    const auto stored = settings();
    stored->setValue(geometryKey, saveGeometry());
    stored->setValue(stateKey, saveState());
    stored->setValue(tabKey, ui->tabs->currentIndex());
}

} // namespace voxtrack::gui
