// SPDX-License-Identifier: MIT
#include "core/databaseurl.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QStandardPaths>
#include <QStringDecoder>
#include <QStringList>
#include <QUrl>

#include <pwd.h>
#include <unistd.h>

namespace voxtrack {

namespace {

// Query options kept in options() and handed to libpq through QPSQL's connect options.
constexpr QStringView libpqOptionKeys[] = {
    u"sslmode",
    u"connect_timeout",
    u"application_name",
    u"sslrootcert",
    u"sslcert",
    u"sslkey",
    u"options",
    u"target_session_attrs",
    u"keepalives",
    u"keepalives_idle",
};
// Query options that override a part of the URL itself, as libpq lets them.
constexpr QStringView overrideKeys[] = {u"host", u"port", u"user", u"password", u"dbname"};

constexpr QStringView sslModes[] = {u"disable", u"allow", u"prefer", u"require", u"verify-ca", u"verify-full"};
constexpr QStringView sessionAttrs[] = {u"any", u"read-write", u"read-only", u"primary", u"standby", u"prefer-standby"};

// libpq's compiled-in socket directories (upstream and Debian): a URL naming one of them is
// "localhost" when looking up the password file, as libpq does.
constexpr QStringView defaultSocketDirs[] = {u"/var/run/postgresql", u"/run/postgresql", u"/tmp"};

template <std::size_t N> bool contains(const QStringView (&list)[N], QStringView value)
{
    for (QStringView item : list) {
        if (item == value)
            return true;
    }
    return false;
}

template <std::size_t N> QString joined(const QStringView (&list)[N])
{
    QStringList parts;
    for (QStringView item : list)
        parts << item.toString();
    return parts.join(QStringLiteral(", "));
}

QString acceptedOptionList()
{
    QStringList keys;
    for (QStringView key : libpqOptionKeys)
        keys << key.toString();
    for (QStringView key : overrideKeys)
        keys << key.toString();
    keys.sort();
    return keys.join(QStringLiteral(", "));
}

Error syntaxError(const QString& message)
{
    return Error {QStringLiteral("url.syntax"), message};
}
Error optionError(const QString& message)
{
    return Error {QStringLiteral("url.option"), message};
}
Error sqlitePathError(const QString& message)
{
    return Error {QStringLiteral("url.sqlite_path"), message};
}

Error portError(QStringView port)
{
    return Error {QStringLiteral("url.port"),
        QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The port \"%1\" in the database URL is not a number from 1 to 65535: "
            "fix the port, or leave it out to use 5432.")
            .arg(port)};
}

QString acceptedForms()
{
    return QCoreApplication::translate("voxtrack::DatabaseUrl",
        "postgresql://user@host:5432/database (or postgres://…), sqlite::memory:, "
        "sqlite:relative/path.db or sqlite:///absolute/path.db");
}

/// Which part of the URL a piece of text came from, for error messages.
enum class Part { UserName, Password, Host, DatabaseName, OptionName, OptionValue, SqlitePath };

QString partName(Part part, const QString& key)
{
    switch (part) {
    case Part::UserName:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the user name");
    case Part::Password:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the password");
    case Part::Host:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the host");
    case Part::DatabaseName:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the database name");
    case Part::OptionName:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "an option name");
    case Part::OptionValue:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the value of the option \"%1\"").arg(key);
    case Part::SqlitePath:
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the SQLite file path");
    }
    Q_UNREACHABLE();
    return {};
}

/// Characters that may never appear unencoded in any part of a URL (RFC 3986), '#' included:
/// database URLs have no fragment.
bool mustBeEncoded(QChar c)
{
    const char16_t u = c.unicode();
    if (u <= 0x20 || u == 0x7f || (u >= 0x80 && u <= 0x9f))
        return true;
    if (u > 0x9f)
        return c.isSpace();
    return QStringView(u"\"<>\\^`{|}#[]").contains(c);
}

QString describeCharacter(QChar c)
{
    if (c == u' ')
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "a space");
    if (c.unicode() < 0x20 || c.unicode() == 0x7f || !c.isPrint())
        return QCoreApplication::translate("voxtrack::DatabaseUrl", "the control character U+%1")
            .arg(c.unicode(), 4, 16, QLatin1Char('0'));
    return u'"' + QString(c) + u'"';
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isAsciiDigits(QStringView text)
{
    if (text.isEmpty())
        return false;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

/// Percent-decodes one part of the URL strictly: unencoded characters that a URL may not
/// hold, malformed escapes, %00 and escapes that are not UTF-8 are errors. The password is
/// never quoted back in a message.
Expected<QString> percentDecode(QStringView raw, Part part, const QString& key = QString())
{
    for (QChar c : raw) {
        if (mustBeEncoded(c)) {
            const QString encoded = QString::fromLatin1(QUrl::toPercentEncoding(QString(c)));
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL has %1 in %2, which must be "
                "percent-encoded: write it as %3.")
                                   .arg(describeCharacter(c), partName(part, key), encoded));
        }
    }
    if (!raw.contains(u'%'))
        return raw.toString();

    const QByteArray utf8 = raw.toUtf8();
    QByteArray bytes;
    bytes.reserve(utf8.size());
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        if (utf8.at(i) != '%') {
            bytes.append(utf8.at(i));
            continue;
        }
        if (i + 2 >= utf8.size() || !isHexDigit(utf8.at(i + 1)) || !isHexDigit(utf8.at(i + 2))) {
            if (part == Part::Password) {
                return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                    "The database URL has a malformed percent-escape in the password: a % must be followed by two "
                    "hexadecimal digits, so write a literal % as %25."));
            }
            const QString escape = QString::fromUtf8(utf8.mid(i, 3));
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL has the malformed percent-escape "
                "\"%1\" in %2: a % must be followed by two hexadecimal "
                "digits, so write a literal % as %25.")
                                   .arg(escape, partName(part, key)));
        }
        const char decoded = char(QByteArray::fromHex(utf8.mid(i + 1, 2)).at(0));
        if (decoded == '\0') {
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL has an encoded NUL character (%2) "
                "in %1, which a database cannot use: remove it.")
                                   .arg(partName(part, key), QStringLiteral("%00")));
        }
        bytes.append(decoded);
        i += 2;
    }
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder.decode(bytes);
    if (decoder.hasError()) {
        return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database URL has percent-escapes in %1 that are not "
            "UTF-8 text: encode other characters as UTF-8 bytes (é is "
            "%C3%A9).")
                               .arg(partName(part, key)));
    }
    return text;
}

/// Port text from the URL or a port= option: empty means the default (0).
Expected<int> parsePort(QStringView text)
{
    if (text.isEmpty())
        return 0;
    if (!isAsciiDigits(text) || text.size() > 9)
        return portError(text);
    const int port = text.toInt();
    if (port < 1 || port > 65535)
        return portError(text);
    return port;
}

bool isIpv4(QStringView text)
{
    const auto parts = text.split(u'.');
    if (parts.size() != 4)
        return false;
    for (QStringView part : parts) {
        if (!isAsciiDigits(part) || part.size() > 3 || part.toInt() > 255)
            return false;
    }
    return true;
}

/// Counts the 16-bit groups of one side of an IPv6 address ("1:2:3"), an IPv4 tail counting two.
bool countIpv6Groups(QStringView text, bool ipv4TailAllowed, int& groups)
{
    if (text.isEmpty())
        return true;
    const auto pieces = text.split(u':');
    for (qsizetype i = 0; i < pieces.size(); ++i) {
        const QStringView piece = pieces.at(i);
        if (ipv4TailAllowed && i == pieces.size() - 1 && piece.contains(u'.')) {
            if (!isIpv4(piece))
                return false;
            groups += 2;
            continue;
        }
        if (piece.isEmpty() || piece.size() > 4)
            return false;
        for (QChar c : piece) {
            if (c.unicode() > 0x7f || !isHexDigit(char(c.unicode())))
                return false;
        }
        ++groups;
    }
    return true;
}

bool isIpv6(QStringView text)
{
    const qsizetype gap = text.indexOf(u"::");
    if (gap < 0) {
        int groups = 0;
        return countIpv6Groups(text, true, groups) && groups == 8;
    }
    if (text.indexOf(u"::", gap + 1) >= 0)
        return false;
    int groups = 0;
    return countIpv6Groups(text.left(gap), false, groups) && countIpv6Groups(text.mid(gap + 2), true, groups)
        && groups <= 7;
}

Status checkIpv6(const QString& address)
{
    if (isIpv6(address))
        return {};
    return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
        "The IPv6 address \"%1\" in the database URL is not valid: write "
        "hexadecimal groups separated by colons, as in [::1] or "
        "[2001:db8::5].")
                           .arg(address));
}

/// A decoded host that is not an IPv6 address: a name, an IPv4 address or a socket directory.
Status checkHostName(const QString& host)
{
    if (host.isEmpty() || host.startsWith(u'/'))
        return {};
    if (host.contains(u',')) {
        return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database URL lists several hosts (\"%1\"), which is "
            "not supported: give a single host.")
                               .arg(host));
    }
    for (QChar c : host) {
        if (!c.isLetterOrNumber() && c != u'-' && c != u'.' && c != u'_') {
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The host \"%1\" in the database URL is not a valid "
                "host name: give a host name, an IPv4 address, an IPv6 "
                "address in brackets such as [::1], or a socket "
                "directory as ?host=/var/run/postgresql.")
                                   .arg(host));
        }
    }
    return {};
}

/// The host from a host= option: libpq takes IPv6 addresses there without brackets.
Status checkHostOption(QString& host)
{
    if (host.size() >= 2 && host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (!host.startsWith(u'/') && host.contains(u':'))
        return checkIpv6(host);
    return checkHostName(host);
}

bool isWholeNumber(const QString& value)
{
    return isAsciiDigits(value) && value.size() <= 9;
}

Status checkOptionValue(const QString& key, const QString& value)
{
    if (key == u"sslmode" && !contains(sslModes, value)) {
        return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The sslmode \"%1\" in the database URL is not valid: use "
            "one of %2.")
                               .arg(value, joined(sslModes)));
    }
    if (key == u"target_session_attrs" && !contains(sessionAttrs, value)) {
        return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The target_session_attrs \"%1\" in the database URL is not "
            "valid: use one of %2.")
                               .arg(value, joined(sessionAttrs)));
    }
    if ((key == u"connect_timeout" || key == u"keepalives_idle") && !isWholeNumber(value)) {
        return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The %1 \"%2\" in the database URL is not a whole number of "
            "seconds: give a number such as 10, or leave the option out.")
                               .arg(key, value));
    }
    if (key == u"keepalives" && value != u"0" && value != u"1") {
        return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The keepalives \"%1\" in the database URL is not valid: use "
            "1 to turn TCP keepalives on or 0 to turn them off.")
                               .arg(value));
    }
    return {};
}

struct QueryItem {
    QString key;
    QString value;
};

/// Splits and decodes "a=1&b=2". Empty pieces are skipped; a key given twice is an error.
Expected<QList<QueryItem>> parseQuery(QStringView query)
{
    QList<QueryItem> items;
    QSet<QString> seen;
    for (QStringView piece : query.split(u'&', Qt::SkipEmptyParts)) {
        const qsizetype equals = piece.indexOf(u'=');
        const auto key = percentDecode(equals < 0 ? piece : piece.left(equals), Part::OptionName);
        if (!key)
            return key.error();
        if (equals < 0) {
            return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The option \"%1\" in the database URL has no value: "
                "write it as %1=value.")
                                   .arg(*key));
        }
        const auto value
            = percentDecode(piece.mid(equals + 1), *key == u"password" ? Part::Password : Part::OptionValue, *key);
        if (!value)
            return value.error();
        if (seen.contains(*key)) {
            return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The option \"%1\" appears more than once in the "
                "database URL: keep only one.")
                                   .arg(*key));
        }
        seen.insert(*key);
        items.append({*key, *value});
    }
    return items;
}

Error schemeError(const QString& text)
{
    const qsizetype colon = text.indexOf(u':');
    bool hasScheme = colon > 0 && text.at(0).unicode() < 0x80 && text.at(0).isLetter();
    for (qsizetype i = 1; hasScheme && i < colon; ++i) {
        const QChar c = text.at(i);
        hasScheme = c.unicode() < 0x80 && (c.isLetterOrNumber() || c == u'+' || c == u'-' || c == u'.');
    }
    QString message;
    if (hasScheme) {
        message = QCoreApplication::translate(
            "voxtrack::DatabaseUrl", "The database URL scheme \"%1\" is not supported: use %2.")
                      .arg(text.left(colon), acceptedForms());
    } else if (text.contains(u'@')) {
        message = QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database URL has no scheme: start it with postgresql://, as in "
            "postgresql://user@host:5432/database.");
    } else {
        constexpr QStringView sqliteSuffixes[] = {u".db", u".sqlite", u".sqlite3"};
        bool looksLikeSqlite = false;
        for (QStringView suffix : sqliteSuffixes)
            looksLikeSqlite = looksLikeSqlite || text.endsWith(suffix, Qt::CaseInsensitive);
        if (looksLikeSqlite) {
            const QString url = (text.startsWith(u'/') ? QStringLiteral("sqlite://") : QStringLiteral("sqlite:"))
                + QString::fromLatin1(QUrl::toPercentEncoding(text, "/!$&'()*+,;=:@"));
            message = QCoreApplication::translate("voxtrack::DatabaseUrl",
                "\"%1\" is a file path, not a database URL: write %2 to use it "
                "as an SQLite database.")
                          .arg(text, url);
        } else {
            message = QCoreApplication::translate("voxtrack::DatabaseUrl", "\"%1\" is not a database URL: use %2.")
                          .arg(text, acceptedForms());
        }
    }
    return Error {QStringLiteral("url.scheme"), message};
}

QString encodeComponent(const QString& text, const QByteArray& safe = QByteArray())
{
    return QString::fromLatin1(QUrl::toPercentEncoding(text, safe));
}

// Characters left unencoded by toString() beyond the unreserved ones.
const QByteArray querySafe = QByteArrayLiteral("/:@!$'()*,;");
const QByteArray pathSafe = QByteArrayLiteral("/!$&'()*+,;=:@");

/// libpq conninfo quoting: single quotes when needed, \' and \\ inside.
QString quoteConnValue(const QString& value)
{
    bool needsQuotes = value.isEmpty();
    for (QChar c : value)
        needsQuotes = needsQuotes || c.isSpace() || c == u';' || c == u'\'' || c == u'\\';
    if (!needsQuotes)
        return value;
    QString quoted = QStringLiteral("'");
    for (QChar c : value) {
        if (c == u'\'' || c == u'\\')
            quoted += u'\\';
        quoted += c;
    }
    return quoted + u'\'';
}

/// One field of a password file line: de-escaped text, and whether it was an unescaped "*".
struct PassField {
    QString text;
    bool wildcard = false;
};

/// Splits "host:port:db:user:password" with \: and \\ escapes; false when a field is missing.
bool splitPassLine(QStringView line, PassField (&fields)[4], QString& password)
{
    qsizetype pos = 0;
    for (PassField& field : fields) {
        bool escaped = false;
        QString text;
        bool ended = false;
        while (pos < line.size()) {
            const QChar c = line.at(pos++);
            if (c == u'\\' && pos < line.size()) {
                text += line.at(pos++);
                escaped = true;
            } else if (c == u':') {
                ended = true;
                break;
            } else {
                text += c;
            }
        }
        if (!ended)
            return false;
        field.wildcard = !escaped && text == u"*";
        field.text = text;
    }
    password.clear();
    while (pos < line.size()) {
        const QChar c = line.at(pos++);
        if (c == u'\\' && pos < line.size())
            password += line.at(pos++);
        else
            password += c;
    }
    return true;
}

/// libpq's passwordFromFile(): the password of the first matching line, or a null string.
QString passwordFromFile(
    const QString& path, const QString& host, int port, const QString& database, const QString& user)
{
    const QFileInfo info(path);
    if (!info.isFile())
        return {};
    constexpr auto groupOrWorld = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
        | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    if (info.permissions() & groupOrWorld)
        return {};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};

    QString matchHost = host;
    if (matchHost.isEmpty() || contains(defaultSocketDirs, matchHost))
        matchHost = QStringLiteral("localhost");
    const QString wanted[4] = {matchHost, QString::number(port == 0 ? 5432 : port), database, user};

    const QString content = QString::fromUtf8(file.readAll());
    for (QStringView line : QStringView(content).split(u'\n')) {
        while (line.endsWith(u'\r'))
            line.chop(1);
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        PassField fields[4];
        QString password;
        if (!splitPassLine(line, fields, password))
            continue;
        bool matches = true;
        for (int i = 0; i < 4 && matches; ++i)
            matches = fields[i].wildcard || fields[i].text == wanted[i];
        if (matches)
            return password; // first match wins, even with an empty password (as in libpq)
    }
    return {};
}

QString loginName()
{
    QString name = qEnvironmentVariable("USER");
    if (!name.isEmpty())
        return name;
    if (const passwd* entry = ::getpwuid(::geteuid()); entry && entry->pw_name)
        return QString::fromLocal8Bit(entry->pw_name);
    return {};
}

struct SqliteParts {
    QString path;
    bool readOnly = false;
};

/// The part of an sqlite: URL after the scheme.
Expected<SqliteParts> parseSqlite(QStringView rest)
{
    SqliteParts parts;
    const qsizetype question = rest.indexOf(u'?');
    QStringView pathPart = question < 0 ? rest : rest.left(question);
    const QStringView query = question < 0 ? QStringView() : rest.mid(question + 1);

    if (pathPart == u":memory:") {
        parts.path = QStringLiteral(":memory:");
    } else {
        if (pathPart.startsWith(u"//")) {
            const QStringView authority = pathPart.mid(2);
            const qsizetype slash = authority.indexOf(u'/');
            const QStringView host = slash < 0 ? authority : authority.left(slash);
            if (!host.isEmpty()) {
                const QString tail = authority.toString();
                return sqlitePathError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                    "The SQLite URL names the host \"%1\", but an "
                    "SQLite database is a local file: use three "
                    "slashes for an absolute path (sqlite:///%2) or "
                    "none for a relative one (sqlite:%2).")
                                           .arg(host.toString(), tail));
            }
            pathPart = slash < 0 ? QStringView() : authority.mid(slash);
        }
        const auto decoded = percentDecode(pathPart, Part::SqlitePath);
        if (!decoded)
            return decoded.error();
        if (decoded->isEmpty() || *decoded == u"/") {
            return sqlitePathError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The SQLite URL has no file path: write "
                "sqlite:///absolute/path.db, sqlite:relative/path.db, "
                "or sqlite::memory: for an in-memory database."));
        }
        if (decoded->endsWith(u'/')) {
            return sqlitePathError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The SQLite path \"%1\" ends with \"/\", so it names a "
                "directory: add the file name, as in %1voxtrack.db.")
                                       .arg(*decoded));
        }
        parts.path = QDir::cleanPath(QDir(QDir::currentPath()).absoluteFilePath(*decoded));
    }

    const auto items = parseQuery(query);
    if (!items)
        return items.error();
    for (const QueryItem& item : *items) {
        if (item.key != u"mode") {
            return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The option \"%1\" in the database URL is not supported "
                "for SQLite: the only option is mode (ro, rw or rwc).")
                                   .arg(item.key));
        }
        if (item.value != u"ro" && item.value != u"rw" && item.value != u"rwc") {
            return sqlitePathError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The SQLite mode \"%1\" in the database URL is not "
                "valid: use ro (read-only), rw (read-write) or rwc "
                "(read-write, created if missing).")
                                       .arg(item.value));
        }
        parts.readOnly = item.value == u"ro";
    }
    return parts;
}

} // namespace

Expected<DatabaseUrl> DatabaseUrl::parse(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        return Error {QStringLiteral("url.empty"),
            QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL is empty: give one such as "
                "postgresql://user@host/database or sqlite:///path/to/file.db.")};
    }
    const qsizetype colon = trimmed.indexOf(u':');
    const QString scheme = colon < 0 ? QString() : trimmed.left(colon).toLower();
    const QStringView rest = QStringView(trimmed).mid(colon + 1);

    DatabaseUrl url;
    if (scheme == u"sqlite") {
        const auto parts = parseSqlite(rest);
        if (!parts)
            return parts.error();
        url.m_backend = Backend::Sqlite;
        url.m_sqlitePath = parts->path;
        url.m_readOnly = parts->readOnly;
        return url;
    }
    if (scheme != u"postgresql" && scheme != u"postgres")
        return schemeError(trimmed);

    url.m_backend = Backend::PostgreSql;
    if (!rest.startsWith(u"//")) {
        return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database URL must continue with \"//\" after \"%1:\": "
            "write %1://host/database, or %1:///database for the local "
            "socket.")
                               .arg(trimmed.left(colon)));
    }
    const QStringView afterSlashes = rest.mid(2);
    const qsizetype question = afterSlashes.indexOf(u'?');
    const QStringView beforeQuery = question < 0 ? afterSlashes : afterSlashes.left(question);
    const QStringView query = question < 0 ? QStringView() : afterSlashes.mid(question + 1);
    const qsizetype slash = beforeQuery.indexOf(u'/');
    const QStringView authority = slash < 0 ? beforeQuery : beforeQuery.left(slash);
    const QStringView path = slash < 0 ? QStringView() : beforeQuery.mid(slash + 1);

    const qsizetype at = authority.indexOf(u'@');
    const QStringView userInfo = at < 0 ? QStringView() : authority.left(at);
    const QStringView hostPort = at < 0 ? authority : authority.mid(at + 1);

    // "user:pa/ss@host" or "user:pa?ss@host": the authority ends early, the rest would be
    // misread (and quoted back in an error message).
    if (at < 0 && afterSlashes.mid(authority.size()).contains(u'@')) {
        const qsizetype lastColon = authority.lastIndexOf(u':');
        if (lastColon >= 0 && !isAsciiDigits(authority.mid(lastColon + 1))) {
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL has an \"@\" after the host, which "
                "usually means the user name or password contains \"/\" "
                "or \"?\": percent-encode them as %2F and %3F."));
        }
    }
    if (hostPort.contains(u'@')) {
        return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database URL has more than one \"@\" before the host: "
            "if the user name or password contains \"@\", write it as "
            "%40."));
    }

    if (at >= 0) {
        const qsizetype userColon = userInfo.indexOf(u':');
        const auto user = percentDecode(userColon < 0 ? userInfo : userInfo.left(userColon), Part::UserName);
        if (!user)
            return user.error();
        url.m_userName = *user;
        if (userColon >= 0) {
            const auto password = percentDecode(userInfo.mid(userColon + 1), Part::Password);
            if (!password)
                return password.error();
            url.m_password = *password;
        }
    }

    QStringView portText;
    if (hostPort.startsWith(u'[')) {
        const qsizetype close = hostPort.indexOf(u']');
        if (close < 0) {
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL opens an IPv6 address with \"[\" but "
                "never closes it: add the \"]\", as in "
                "postgresql://[::1]:5432/database."));
        }
        const QString address = hostPort.mid(1, close - 1).toString();
        if (const Status status = checkIpv6(address); !status.isNull())
            return status;
        const QStringView after = hostPort.mid(close + 1);
        if (!after.isEmpty() && !after.startsWith(u':')) {
            return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The database URL has \"%1\" after the IPv6 address "
                "[%2]: only a port may follow it, as in [%2]:5432.")
                                   .arg(after.toString(), address));
        }
        url.m_host = address;
        portText = after.mid(1);
    } else {
        const qsizetype portColon = hostPort.indexOf(u':');
        const QStringView hostText = portColon < 0 ? hostPort : hostPort.left(portColon);
        if (portColon >= 0) {
            portText = hostPort.mid(portColon + 1);
            if (portText.contains(u':')) {
                return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                    "The host \"%1\" in the database URL has more than "
                    "one \":\": put an IPv6 address in brackets, as in "
                    "postgresql://[::1]:5432/database.")
                                       .arg(hostPort.toString()));
            }
        }
        const auto host = percentDecode(hostText, Part::Host);
        if (!host)
            return host.error();
        if (const Status status = checkHostName(*host); !status.isNull())
            return status;
        url.m_host = *host;
    }
    const auto port = parsePort(portText);
    if (!port)
        return port.error();
    url.m_port = *port;

    if (path.contains(u'/')) {
        return syntaxError(QCoreApplication::translate("voxtrack::DatabaseUrl",
            "The database name \"%1\" in the database URL contains "
            "\"/\": give a single name after the host, writing a slash "
            "that belongs to the name as %2F.")
                               .arg(path.toString()));
    }
    const auto database = percentDecode(path, Part::DatabaseName);
    if (!database)
        return database.error();
    url.m_databaseName = *database;

    const auto items = parseQuery(query);
    if (!items)
        return items.error();
    for (const QueryItem& item : *items) {
        if (item.key == u"host") {
            QString host = item.value;
            if (const Status status = checkHostOption(host); !status.isNull())
                return status;
            url.m_host = host;
        } else if (item.key == u"port") {
            const auto optionPort = parsePort(item.value);
            if (!optionPort)
                return optionPort.error();
            url.m_port = *optionPort;
        } else if (item.key == u"user") {
            url.m_userName = item.value;
        } else if (item.key == u"password") {
            url.m_password = item.value;
        } else if (item.key == u"dbname") {
            url.m_databaseName = item.value;
        } else if (contains(libpqOptionKeys, item.key)) {
            if (const Status status = checkOptionValue(item.key, item.value); !status.isNull())
                return status;
            url.m_options.append({item.key, item.value});
        } else {
            return optionError(QCoreApplication::translate("voxtrack::DatabaseUrl",
                "The option \"%1\" in the database URL is not supported: "
                "use one of %2.")
                                   .arg(item.key, acceptedOptionList()));
        }
    }
    // libpq treats an empty password as none.
    url.m_passwordSource = url.m_password.isEmpty() ? PasswordSource::None : PasswordSource::Url;
    return url;
}

QString DatabaseUrl::option(const QString& key) const
{
    if (m_backend == Backend::Sqlite)
        return key == u"mode" && m_readOnly ? QStringLiteral("ro") : QString();
    if (key == u"host")
        return m_host;
    if (key == u"port")
        return m_port == 0 ? QString() : QString::number(m_port);
    if (key == u"user")
        return m_userName;
    if (key == u"password")
        return m_password;
    if (key == u"dbname")
        return m_databaseName;
    for (const auto& [optionKey, value] : m_options) {
        if (optionKey == key)
            return value;
    }
    return {};
}

QString DatabaseUrl::qpsqlConnectOptions() const
{
    QStringList parts;
    for (const auto& [key, value] : m_options)
        parts << key + u'=' + quoteConnValue(value);
    return parts.join(u';');
}

void DatabaseUrl::resolveDefaults()
{
    if (m_backend != Backend::PostgreSql)
        return;
    if (m_userName.isEmpty()) {
        m_userName = qEnvironmentVariable("PGUSER");
        if (m_userName.isEmpty())
            m_userName = loginName();
    }
    if (m_databaseName.isEmpty())
        m_databaseName = m_userName;
    if (!m_password.isEmpty())
        return;

    const QString environmentPassword = qEnvironmentVariable("PGPASSWORD");
    if (!environmentPassword.isEmpty()) {
        m_password = environmentPassword;
        m_passwordSource = PasswordSource::Environment;
        return;
    }
    QString file = qEnvironmentVariable("PGPASSFILE");
    if (file.isEmpty())
        file = QDir::homePath() + QStringLiteral("/.pgpass");
    const QString filePassword = passwordFromFile(file, m_host, m_port, m_databaseName, m_userName);
    if (!filePassword.isEmpty()) {
        m_password = filePassword;
        m_passwordSource = PasswordSource::PgPassFile;
    }
}

namespace {

QString postgresUrl(const DatabaseUrl& url, bool hidePassword)
{
    QString text = QStringLiteral("postgresql://");
    if (!url.userName().isEmpty() || !url.password().isEmpty()) {
        text += encodeComponent(url.userName());
        if (!url.password().isEmpty())
            text += u':' + (hidePassword ? QStringLiteral("***") : encodeComponent(url.password()));
        text += u'@';
    }
    const QString host = url.host();
    const bool socketHost = host.startsWith(u'/');
    if (!socketHost) {
        if (host.contains(u':'))
            text += u'[' + host + u']';
        else
            text += encodeComponent(host);
    }
    if (url.port() != 0)
        text += u':' + QString::number(url.port());

    QStringList query;
    if (socketHost)
        query << QStringLiteral("host=") + encodeComponent(host, querySafe);
    for (const auto& [key, value] : url.options())
        query << key + u'=' + encodeComponent(value, querySafe);

    if (!url.databaseName().isEmpty())
        text += u'/' + encodeComponent(url.databaseName(), QByteArrayLiteral("!$&'()*+,;=:@"));
    else if (!query.isEmpty())
        text += u'/';
    if (!query.isEmpty())
        text += u'?' + query.join(u'&');
    return text;
}

QString sqliteUrl(const DatabaseUrl& url)
{
    if (url.sqlitePath().isEmpty())
        return {};
    QString text = url.isInMemory() ? QStringLiteral("sqlite::memory:")
                                    : QStringLiteral("sqlite://") + encodeComponent(url.sqlitePath(), pathSafe);
    if (url.isReadOnly())
        text += QStringLiteral("?mode=ro");
    return text;
}

} // namespace

QString DatabaseUrl::toDisplayString() const
{
    return m_backend == Backend::PostgreSql ? postgresUrl(*this, true) : sqliteUrl(*this);
}

QString DatabaseUrl::toString() const
{
    return m_backend == Backend::PostgreSql ? postgresUrl(*this, false) : sqliteUrl(*this);
}

DatabaseUrl DatabaseUrl::withDatabaseName(const QString& name) const
{
    DatabaseUrl copy = *this;
    if (m_backend == Backend::PostgreSql)
        copy.m_databaseName = name;
    return copy;
}

DatabaseUrl DatabaseUrl::withOption(const QString& key, const QString& value) const
{
    DatabaseUrl copy = *this;
    if (m_backend == Backend::Sqlite) {
        if (key == u"mode")
            copy.m_readOnly = value == u"ro";
        return copy;
    }
    if (key == u"host") {
        copy.m_host = value;
    } else if (key == u"port") {
        copy.m_port = value.toInt();
    } else if (key == u"user") {
        copy.m_userName = value;
    } else if (key == u"password") {
        copy.m_password = value;
        copy.m_passwordSource = value.isEmpty() ? PasswordSource::None : PasswordSource::Url;
    } else if (key == u"dbname") {
        copy.m_databaseName = value;
    } else {
        for (auto& option : copy.m_options) {
            if (option.first == key) {
                option.second = value;
                return copy;
            }
        }
        copy.m_options.append({key, value});
    }
    return copy;
}

QString DatabaseUrl::defaultLocation()
{
    QString fromEnvironment = qEnvironmentVariable("VOXTRACK_DB");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString directory = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QStringLiteral("sqlite://") + QDir(directory).filePath(QStringLiteral("voxtrack.db"));
}

} // namespace voxtrack
