// SPDX-License-Identifier: MIT
#include "gui/mainwindow.h"
#include "ui_mainwindow.h"

#include "gui/healthpage.h"

#include <QApplication>
#include <QCloseEvent>
#include <QMessageBox>
#include <QSettings>

#include <algorithm>

namespace voxtrack::gui {

namespace {

const auto geometryKey = QLatin1String("MainWindow/geometry");
const auto stateKey = QLatin1String("MainWindow/state");
const auto tabKey = QLatin1String("MainWindow/tab");

/// ~/.config/voxtrack/voxtrack.conf on Linux. Explicit names rather than the application's
/// organisation, which would also move the data directory away from voxtrack-cli's.
std::unique_ptr<QSettings> settings()
{
    return std::make_unique<QSettings>(QStringLiteral("voxtrack"), QStringLiteral("voxtrack"));
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , ui(std::make_unique<Ui::MainWindow>())
    , m_healthPage(new HealthPage(this))
{
    ui->setupUi(this);
    ui->tabs->addTab(m_healthPage, tr("&Health"));

    connect(ui->quitAction, &QAction::triggered, this, &QWidget::close);
    connect(ui->aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
    connect(ui->aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);
    connect(m_healthPage, &HealthPage::statusMessage, this,
        [this](const QString& message) { ui->statusBar->showMessage(message); });

    restoreSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    event->accept();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Voxtrack"),
        tr("<h3>Voxtrack %1</h3>"
           "<p>A monitoring and test harness for voice-agent backends that track conversations in a database: "
           "it checks the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite for the "
           "faults that break tracking.</p>"
           "<p>Qt %2 (built with Qt %3)</p>")
            .arg(QStringLiteral(VOXTRACK_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR)));
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
