// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QAbstractItemModel>
#include <QUrl>
#include <QWidget>

#include <memory>
#include <optional>
namespace voxtrack::gui {
class LoadPanel;
}

namespace Ui {
class SimulatorPage;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class SimulatorPage : public QWidget {
    Q_OBJECT

public:
    explicit SimulatorPage(QWidget* parent = nullptr);
    ~SimulatorPage() override;
    void setServerUrl(const QUrl& conversationUrl);
    void setDatabase(const std::optional<voxtrack::DatabaseUrl>& url);
    [[nodiscard]] LoadPanel* loadPanel() const { return nullptr; }
    void startSession();
    void sendText(const QString& text);
    void endSession();
    [[nodiscard]] QAbstractItemModel* chatModel() const { return nullptr; }

Q_SIGNALS:
    void sessionStarted(const QString& sessionId);
    void sessionEnded(const QString& sessionId);
    void statusMessage(const QString& message);

private:
    std::unique_ptr<Ui::SimulatorPage> ui;
};

} // namespace voxtrack::gui
