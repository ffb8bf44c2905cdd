// SPDX-License-Identifier: MIT
#include "gui/settingsdialog.h"
#include "ui_settingsdialog.h"

#include "core/i18n.h"
#include "gui/connectionprofiles.h"

#include <QSettings>

#include <algorithm>

namespace voxtrack::gui {

namespace {

const auto languageKey = QLatin1String("General/language");
const auto confirmQuitKey = QLatin1String("General/confirmQuit");

bool isAvailable(const QString& code)
{
    const QList<Language> languages = availableLanguages();
    return std::any_of(
        languages.cbegin(), languages.cend(), [&code](const Language& language) { return language.code == code; });
}

} // namespace

QString storedLanguage()
{
    const QString code = userSettings()->value(languageKey).toString();
    return isAvailable(code) ? code : QString();
}

bool confirmQuitDuringLoadRun()
{
    return userSettings()->value(confirmQuitKey, true).toBool();
}

SettingsDialog::SettingsDialog(QWidget* parent)
    : QDialog(parent)
    , ui(std::make_unique<Ui::SettingsDialog>())
{
    ui->setupUi(this);
    QPalette quiet = ui->languageNote->palette();
    quiet.setColor(QPalette::WindowText, quiet.color(QPalette::PlaceholderText));
    ui->languageNote->setPalette(quiet);
    ui->languageCombo->addItem(tr("System default"), QString());
    for (const Language& language : availableLanguages())
        ui->languageCombo->addItem(language.nativeName, language.code);
    ui->languageCombo->setCurrentIndex(std::max(0, ui->languageCombo->findData(storedLanguage())));
    ui->confirmQuitCheck->setChecked(confirmQuitDuringLoadRun());
    connect(ui->buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(ui->buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
}

SettingsDialog::~SettingsDialog() = default;

void SettingsDialog::accept()
{
    const auto settings = userSettings();
    settings->setValue(languageKey, ui->languageCombo->currentData().toString());
    settings->setValue(confirmQuitKey, ui->confirmQuitCheck->isChecked());
    settings->sync();
    QDialog::accept();
}

} // namespace voxtrack::gui
