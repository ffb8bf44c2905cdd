// SPDX-License-Identifier: MIT
#include "gui/connectionprofiles.h"

#include <QCoreApplication>
#include <QSettings>

#include <algorithm>

namespace voxtrack::gui {

namespace {

const auto profilesGroup = QLatin1String("Profiles");
const auto lastKey = QLatin1String("Profiles/last");
const auto serverUrlKey = QLatin1String("serverUrl");
const auto databaseUrlKey = QLatin1String("databaseUrl");

/// The translation context of this file's texts.
struct Text {
    Q_DECLARE_TR_FUNCTIONS(voxtrack::gui::ConnectionProfiles)
};

QString groupOf(const QString& name)
{
    return profilesGroup + u'/' + name;
}

/// The URL as stored: normalised (an SQLite path made absolute) and without a password.
QString withoutPassword(const DatabaseUrl& url)
{
    return url.isPostgreSql() ? url.withOption(QStringLiteral("password"), QString()).toString() : url.toString();
}

} // namespace

std::unique_ptr<QSettings> userSettings()
{
    return std::make_unique<QSettings>(QStringLiteral("voxtrack"), QStringLiteral("voxtrack"));
}

DatabaseUrlText takePassword(const QString& databaseUrl)
{
    const auto url = DatabaseUrl::parse(databaseUrl);
    if (!url || url->password().isEmpty())
        return {databaseUrl, QString()};
    return {withoutPassword(*url), url->password()};
}

Expected<DatabaseUrl> databaseUrlWithPassword(const QString& databaseUrl, const QString& password)
{
    auto url = DatabaseUrl::parse(databaseUrl);
    if (url && url->isPostgreSql() && !password.isEmpty())
        return url->withOption(QStringLiteral("password"), password);
    return url;
}

ConnectionProfiles::ConnectionProfiles()
    : m_settings(userSettings())
{
}

ConnectionProfiles::~ConnectionProfiles() = default;

QStringList ConnectionProfiles::names() const
{
    m_settings->beginGroup(profilesGroup);
    QStringList names = m_settings->childGroups();
    m_settings->endGroup();
    std::sort(names.begin(), names.end(),
        [](const QString& a, const QString& b) { return QString::compare(a, b, Qt::CaseInsensitive) < 0; });
    return names;
}

std::optional<ConnectionProfile> ConnectionProfiles::profile(const QString& name) const
{
    if (!checkName(name).isNull() || !names().contains(name))
        return std::nullopt;
    m_settings->beginGroup(groupOf(name));
    ConnectionProfile profile {
        name, m_settings->value(serverUrlKey).toString(), m_settings->value(databaseUrlKey).toString()};
    m_settings->endGroup();
    // A file edited by hand may still hold one: it goes no further than this.
    profile.databaseUrl = takePassword(profile.databaseUrl).url;
    return profile;
}

Status ConnectionProfiles::save(const ConnectionProfile& profile)
{
    if (Status status = checkName(profile.name); !status.isNull())
        return status;
    QString databaseUrl;
    if (!profile.databaseUrl.trimmed().isEmpty()) {
        const auto url = DatabaseUrl::parse(profile.databaseUrl);
        if (!url)
            return url.error();
        databaseUrl = withoutPassword(*url);
    }
    m_settings->beginGroup(groupOf(profile.name));
    m_settings->setValue(serverUrlKey, profile.serverUrl.trimmed());
    m_settings->setValue(databaseUrlKey, databaseUrl);
    m_settings->endGroup();
    m_settings->sync();
    return {};
}

void ConnectionProfiles::remove(const QString& name)
{
    if (!checkName(name).isNull())
        return;
    m_settings->remove(groupOf(name));
    if (m_settings->value(lastKey).toString() == name)
        m_settings->remove(lastKey);
    m_settings->sync();
}

QString ConnectionProfiles::lastUsed() const
{
    const QString name = m_settings->value(lastKey).toString();
    return names().contains(name) ? name : QString();
}

void ConnectionProfiles::setLastUsed(const QString& name)
{
    m_settings->setValue(lastKey, name);
    m_settings->sync();
}

Status ConnectionProfiles::checkName(const QString& name)
{
    if (name.trimmed().isEmpty())
        return {
            QStringLiteral("profile.name"), Text::tr("The profile has no name: type one in the profile box first.")};
    if (name.contains(u'/') || name.contains(u'\\') || name != name.trimmed())
        return {QStringLiteral("profile.name"),
            Text::tr("The profile name \"%1\" cannot hold / or \\ or start or end with a space: choose another name.")
                .arg(name)};
    return {};
}

} // namespace voxtrack::gui
