// SPDX-License-Identifier: MIT
#pragma once

#include <QMainWindow>

#include <memory>

namespace Ui {
class MainWindow;
}

namespace voxtrack::gui {

class HealthPage;

/// The voxtrack main window: one tab per tool (Health for now), the File and Help menus and a
/// status bar. Remembers its geometry and state across runs.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    [[nodiscard]] HealthPage* healthPage() const { return m_healthPage; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void showAbout();
    void restoreSettings();
    void saveSettings() const;

    std::unique_ptr<Ui::MainWindow> ui;
    HealthPage* m_healthPage;
};

} // namespace voxtrack::gui
