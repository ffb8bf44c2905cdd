// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QList>
#include <QPair>
#include <QString>

namespace voxtrack {

/// Where a database is, written as a URL in the libpq convention:
///   postgresql://user:pass@host:5432/db?sslmode=require&connect_timeout=5
///   postgres://…            (same)
///   sqlite:///absolute/path.db, sqlite:relative.db (made absolute against the working
///   directory when parsed), sqlite::memory:
/// Parsing never touches the network or the file system (except to make a relative SQLite
/// path absolute); every malformed URL is an Error with a stable code ("url.*").
class DatabaseUrl {
public:
    enum class Backend { PostgreSql, Sqlite };
    /// Where the password of a PostgreSQL URL came from.
    enum class PasswordSource { None, Url, Environment, PgPassFile };

    DatabaseUrl() = default;

    /// Parses text. Error codes:
    ///   url.empty         nothing given
    ///   url.scheme        not postgresql://, postgres:// or sqlite:
    ///   url.syntax        not a well-formed URL (bad percent-encoding, stray characters…)
    ///   url.port          port not a number in 1..65535
    ///   url.option        unknown query option, or a value it does not accept (sslmode…)
    ///   url.sqlite_path   sqlite: with a host, an empty path, or a bad mode
    [[nodiscard]] static Expected<DatabaseUrl> parse(const QString& text);

    /// The database the programs use when none is named: $VOXTRACK_DB, else the SQLite file
    /// voxtrack.db in the user's data directory (~/.local/share/voxtrack). Unparsed text.
    [[nodiscard]] static QString defaultLocation();

    [[nodiscard]] Backend backend() const { return m_backend; }
    [[nodiscard]] bool isPostgreSql() const { return m_backend == Backend::PostgreSql; }
    [[nodiscard]] bool isSqlite() const { return m_backend == Backend::Sqlite; }

    // PostgreSQL parts. Host empty means libpq's default (a Unix socket), port 0 means 5432.
    [[nodiscard]] QString host() const { return m_host; }
    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] QString userName() const { return m_userName; }
    [[nodiscard]] QString password() const { return m_password; }
    [[nodiscard]] PasswordSource passwordSource() const { return m_passwordSource; }
    [[nodiscard]] QString databaseName() const { return m_databaseName; }
    /// libpq keyword/value options from the query string, in the order given (sslmode,
    /// connect_timeout, application_name, …), already validated.
    [[nodiscard]] QList<QPair<QString, QString>> options() const { return m_options; }
    [[nodiscard]] QString option(const QString& key) const;
    /// The options in the form QSqlDatabase::setConnectOptions() takes for QPSQL
    /// ("sslmode=require;connect_timeout=5").
    [[nodiscard]] QString qpsqlConnectOptions() const;

    // SQLite parts.
    /// Absolute file path, or ":memory:".
    [[nodiscard]] QString sqlitePath() const { return m_sqlitePath; }
    [[nodiscard]] bool isInMemory() const { return m_sqlitePath == QLatin1String(":memory:"); }
    /// ?mode=ro opens the file read-only.
    [[nodiscard]] bool isReadOnly() const { return m_readOnly; }

    /// Fills in a missing PostgreSQL password the way libpq does: from PGPASSWORD, else from
    /// the password file (PGPASSFILE, else ~/.pgpass; lines host:port:database:user:password
    /// with * wildcards and \: \\ escapes; ignored when group or world can read it). The user
    /// name defaults to PGUSER, else the login name; the database name to the user name.
    /// Does nothing for SQLite; the password lookup is skipped when the URL carries one.
    void resolveDefaults();

    /// The URL with the password replaced by "***": safe to print or log.
    [[nodiscard]] QString toDisplayString() const;
    /// The URL as given (normalised), password included.
    [[nodiscard]] QString toString() const;

    /// postgresql only: a copy pointing at another database on the same server.
    [[nodiscard]] DatabaseUrl withDatabaseName(const QString& name) const;
    /// a copy with an extra or replaced libpq option.
    [[nodiscard]] DatabaseUrl withOption(const QString& key, const QString& value) const;

    friend bool operator==(const DatabaseUrl&, const DatabaseUrl&) = default;

private:
    Backend m_backend = Backend::Sqlite;
    QString m_host;
    int m_port = 0;
    QString m_userName;
    QString m_password;
    PasswordSource m_passwordSource = PasswordSource::None;
    QString m_databaseName;
    QList<QPair<QString, QString>> m_options;
    QString m_sqlitePath;
    bool m_readOnly = false;
};

} // namespace voxtrack
