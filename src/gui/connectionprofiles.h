// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QSettings;

namespace voxtrack::gui {

/// Voxtrack's user settings: ~/.config/voxtrack/voxtrack.conf on Linux. Explicit names rather
/// than the application's organisation, which would also move the data directory.
[[nodiscard]] std::unique_ptr<QSettings> userSettings();

/// A saved pair of locations. The database URL never holds a password: that lives in the
/// system keychain, under the profile's name.
struct ConnectionProfile {
    QString name;
    QString serverUrl;
    QString databaseUrl;

    friend bool operator==(const ConnectionProfile&, const ConnectionProfile&) = default;
};

/// A database URL as typed, split into the URL without a password and the password it held.
struct DatabaseUrlText {
    QString url;
    QString password;
};

/// Takes a password written inside a postgresql:// URL (user:password@host or ?password=) out of
/// it. Text without a password, SQLite URLs and text that does not parse come back as they are.
[[nodiscard]] DatabaseUrlText takePassword(const QString& databaseUrl);

/// Parses databaseUrl and, when password is not empty, uses it as the URL's password (over one
/// the URL itself may hold). Errors are DatabaseUrl::parse()'s.
[[nodiscard]] Expected<DatabaseUrl> databaseUrlWithPassword(const QString& databaseUrl, const QString& password);

/// The saved connection profiles, in the user settings under "Profiles/<name>" (serverUrl,
/// databaseUrl) and "Profiles/last" (the profile used last). Each call reads or writes the
/// settings, so several bars and windows see the same profiles. GUI thread only.
class ConnectionProfiles {
public:
    ConnectionProfiles();
    ~ConnectionProfiles();

    /// The saved profiles' names, sorted without regard to case.
    [[nodiscard]] QStringList names() const;
    [[nodiscard]] std::optional<ConnectionProfile> profile(const QString& name) const;
    /// Saves profile, replacing one of the same name. The database URL is stored without its
    /// password even when it holds one. Errors: profile.name (an empty name, or one with / or \),
    /// or the database URL's parse error.
    Status save(const ConnectionProfile& profile);
    void remove(const QString& name);

    /// The profile used last, when it still exists.
    [[nodiscard]] QString lastUsed() const;
    void setLastUsed(const QString& name);

    /// Nothing when name can name a profile; otherwise the Error profile.name saying why not.
    [[nodiscard]] static Status checkName(const QString& name);

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace voxtrack::gui
