// SPDX-License-Identifier: MIT
#pragma once

class QObject;

namespace voxtrack::store {
class ChangeFeed;
}

namespace voxtrack::models {

class SessionsModel;
class MessagesModel;

/// Lets the models follow the database through a change feed: new sessions are inserted where
/// they belong, changed ones (an end) read again, new messages added to the transcript shown
/// (and the message counts of the loaded active sessions refreshed); after a lost connection
/// both catch up. Either model may be null. The connections end with the feed or the models, or
/// with context when one is given (deleting it stops following; it must not outlive the models).
void followChanges(
    store::ChangeFeed& feed, SessionsModel* sessions, MessagesModel* messages = nullptr, QObject* context = nullptr);

} // namespace voxtrack::models
