// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class SettingsDialog;
}

namespace voxtrack::gui {

/// The language chosen in the settings ("" follows the system; "en", "de", "fr", "es"), for
/// voxtrack::installTranslators() at start. A value Voxtrack does not know reads as "".
[[nodiscard]] QString storedLanguage();
/// Whether quitting while a load run is going asks first (default true).
[[nodiscard]] bool confirmQuitDuringLoadRun();

/// Edit ▸ Settings…: the language (used from the next start) and whether quitting during a load
/// run asks first. OK stores the choices in the user settings; Cancel stores nothing.
class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(QWidget* parent = nullptr);
    ~SettingsDialog() override;

    void accept() override;

private:
    std::unique_ptr<Ui::SettingsDialog> ui;
};

} // namespace voxtrack::gui
