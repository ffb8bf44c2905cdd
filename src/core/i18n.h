// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QLocale>
#include <QString>

class QCoreApplication;

namespace voxtrack {

/// A language Voxtrack speaks: its code ("de") and its name written in it ("Deutsch").
struct Language {
    QString code;
    QString nativeName;
};

/// English, then the languages Voxtrack is translated into, in the order a language menu lists them.
[[nodiscard]] QList<Language> availableLanguages();

/// Installs Voxtrack's and Qt's translators for a language on the application. An empty
/// name follows the system (LANGUAGE, LC_ALL, LANG…); "en" or "C" means no translation. A
/// language named explicitly also becomes the default QLocale, so numbers and dates follow it.
/// Returns the language actually loaded ("" when none).
QString installTranslators(QCoreApplication& application, const QString& language = {});

} // namespace voxtrack
