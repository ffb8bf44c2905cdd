<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>ActivityPane</name>
    <message>
        <source>Keep the newest line in view</source>
        <translation>Garder la dernière ligne visible</translation>
    </message>
    <message>
        <source>&amp;Follow</source>
        <translation>&amp;Suivre</translation>
    </message>
    <message>
        <source>Show only what should not be in the database, such as a role the schema does not allow</source>
        <translation>N&apos;afficher que ce qui ne devrait pas se trouver dans la base de données, comme un rôle que le schéma n&apos;autorise pas</translation>
    </message>
    <message>
        <source>&amp;Problems only</source>
        <translation>&amp;Problèmes uniquement</translation>
    </message>
    <message>
        <source>Remove every line (the database is not touched)</source>
        <translation>Supprimer toutes les lignes (la base de données n&apos;est pas modifiée)</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>Effa&amp;cer</translation>
    </message>
    <message>
        <source>Double-click a line to open its conversation</source>
        <translation>Double-cliquez sur une ligne pour ouvrir sa conversation</translation>
    </message>
</context>
<context>
    <name>ConnectionBar</name>
    <message>
        <source>Pr&amp;ofile:</source>
        <translation>Pr&amp;ofil&#xa0;:</translation>
    </message>
    <message>
        <source>Saved connections: choose one to fill the fields, or type a name to save the fields under</source>
        <translation>Connexions enregistrées&#xa0;: choisissez-en une pour remplir les champs, ou saisissez un nom sous lequel enregistrer les champs</translation>
    </message>
    <message>
        <source>Save the URLs under the profile name; the password goes to the system keychain</source>
        <translation>Enregistrer les URL sous le nom du profil&#xa0;; le mot de passe est stocké dans le trousseau du système</translation>
    </message>
    <message>
        <source>S&amp;ave profile</source>
        <translation>&amp;Enregistrer le profil</translation>
    </message>
    <message>
        <source>Delete this profile and its saved password</source>
        <translation>Supprimer ce profil et son mot de passe enregistré</translation>
    </message>
    <message>
        <source>De&amp;lete profile</source>
        <translation>Supprimer &amp;le profil</translation>
    </message>
    <message>
        <source>Server &amp;URL:</source>
        <translation>&amp;URL du serveur&#xa0;:</translation>
    </message>
    <message>
        <source>The voxtrackd conversation endpoint, ws://host:port/v1/conversation or http://host:port; leave it empty to work with the database alone</source>
        <translation>Le point de terminaison de conversation de voxtrackd, ws://hôte:port/v1/conversation ou http://hôte:port&#xa0;; laissez-le vide pour travailler uniquement avec la base de données</translation>
    </message>
    <message>
        <source>ws://127.0.0.1:8787/v1/conversation (optional)</source>
        <translation>ws://127.0.0.1:8787/v1/conversation (facultatif)</translation>
    </message>
    <message>
        <source>Connect to the server and the database in the fields (Return in a URL field)</source>
        <translation>Se connecter au serveur et à la base de données indiqués dans les champs (Entrée dans un champ d&apos;URL)</translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation>Se co&amp;nnecter</translation>
    </message>
    <message>
        <source>Data&amp;base URL:</source>
        <translation>URL de la &amp;base de données&#xa0;:</translation>
    </message>
    <message>
        <source>The database with the conversation tables: postgresql://user@host:5432/database or sqlite:///path/to/file.db</source>
        <translation>La base de données contenant les tables de conversations&#xa0;: postgresql://utilisateur@hôte:5432/base ou sqlite:///chemin/vers/fichier.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database or sqlite:///path.db</source>
        <translation>postgresql://utilisateur@hôte:5432/base ou sqlite:///chemin.db</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>&amp;Mot de passe&#xa0;:</translation>
    </message>
    <message>
        <source>The PostgreSQL password; left empty, PGPASSWORD or ~/.pgpass is used</source>
        <translation>Le mot de passe PostgreSQL&#xa0;; s&apos;il est laissé vide, PGPASSWORD ou ~/.pgpass est utilisé</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Mot de passe</translation>
    </message>
    <message>
        <source>Let go of the server and the database</source>
        <translation>Se déconnecter du serveur et de la base de données</translation>
    </message>
    <message>
        <source>D&amp;isconnect</source>
        <translation>Se déconnec&amp;ter</translation>
    </message>
</context>
<context>
    <name>ConversationPage</name>
    <message>
        <source>Select a session on the Sessions tab.</source>
        <translation>Sélectionnez une session dans l&apos;onglet Sessions.</translation>
    </message>
    <message>
        <source>Session:</source>
        <translation>Session&#xa0;:</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>État&#xa0;:</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Utilisateur&#xa0;:</translation>
    </message>
    <message>
        <source>Messages:</source>
        <translation>Messages&#xa0;:</translation>
    </message>
    <message>
        <source>Started:</source>
        <translation>Début&#xa0;:</translation>
    </message>
    <message>
        <source>Ended:</source>
        <translation>Fin&#xa0;:</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>Durée&#xa0;:</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Métadonnées de la session</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clé</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Type</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Période&#xa0;:</translation>
    </message>
    <message>
        <source>Sessions started and messages created in this period</source>
        <translation>Sessions démarrées et messages créés pendant cette période</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Dernière heure</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>24 dernières heures</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>All time</source>
        <translation>Depuis le début</translation>
    </message>
    <message>
        <source>&amp;Bucket:</source>
        <translation>&amp;Intervalle&#xa0;:</translation>
    </message>
    <message>
        <source>The width of each point of the sessions chart; Auto picks one that fits the range</source>
        <translation>La largeur de chaque point du graphique des sessions&#xa0;; Auto en choisit une adaptée à la période</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>Auto</translation>
    </message>
    <message>
        <source>Minute</source>
        <translation>Minute</translation>
    </message>
    <message>
        <source>Hour</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Jour</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Semaine</translation>
    </message>
    <message>
        <source>Compute the statistics again (F5)</source>
        <translation>Recalculer les statistiques (F5)</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>Actuali&amp;ser</translation>
    </message>
    <message>
        <source>Follow the database: the charts update when sessions and messages are written (at most every 2 seconds)</source>
        <translation>Suivre la base de données&#xa0;: les graphiques se mettent à jour lorsque des sessions et des messages sont écrits (au plus toutes les 2 secondes)</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>&amp;En direct</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Aucune base de données</translation>
    </message>
    <message>
        <source>The role check allows only user, agent and system: the Health page lists these messages</source>
        <translation>La vérification des rôles n&apos;autorise que user, agent et system&#xa0;: la page Santé liste ces messages</translation>
    </message>
</context>
<context>
    <name>HealthPage</name>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Base de données&#xa0;:</translation>
    </message>
    <message>
        <source>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db or sqlite:relative.db</source>
        <translation>postgresql://utilisateur:motdepasse@hôte:5432/base?sslmode=require, sqlite:///chemin/vers/fichier.db ou sqlite:relatif.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/db or sqlite:///path/to/file.db</source>
        <translation>postgresql://utilisateur@hôte:5432/base ou sqlite:///chemin/vers/fichier.db</translation>
    </message>
    <message>
        <source>Check the database, read-only (F5)</source>
        <translation>Vérifier la base de données, en lecture seule (F5)</translation>
    </message>
    <message>
        <source>&amp;Run doctor</source>
        <translation>&amp;Lancer le diagnostic</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
    <message>
        <source>Run the doctor to check the database.</source>
        <translation>Lancez le diagnostic pour vérifier la base de données.</translation>
    </message>
    <message>
        <source>Select a check to see its samples and hint.</source>
        <translation>Sélectionnez une vérification pour voir ses échantillons et son conseil.</translation>
    </message>
</context>
<context>
    <name>LoadPanel</name>
    <message>
        <source>Load test</source>
        <translation>Test de charge</translation>
    </message>
    <message>
        <source>S&amp;cenario:</source>
        <translation>S&amp;cénario&#xa0;:</translation>
    </message>
    <message>
        <source>The conversations to run: a built-in scenario or one opened from a file</source>
        <translation>Les conversations à exécuter&#xa0;: un scénario intégré ou un scénario ouvert depuis un fichier</translation>
    </message>
    <message>
        <source>Open a scenario file (JSON, described in docs/scenarios.md)</source>
        <translation>Ouvrir un fichier de scénario (JSON, décrit dans docs/scenarios.md)</translation>
    </message>
    <message>
        <source>&amp;Open file…</source>
        <translation>&amp;Ouvrir un fichier…</translation>
    </message>
    <message>
        <source>&amp;Sessions:</source>
        <translation>&amp;Sessions&#xa0;:</translation>
    </message>
    <message>
        <source>How many conversations the run holds in all</source>
        <translation>Nombre total de conversations de l&apos;exécution</translation>
    </message>
    <message>
        <source>Co&amp;ncurrency:</source>
        <translation>Co&amp;ncurrence&#xa0;:</translation>
    </message>
    <message>
        <source>At most this many conversations at once (never more than the sessions)</source>
        <translation>Au plus ce nombre de conversations simultanées (jamais plus que le nombre de sessions)</translation>
    </message>
    <message>
        <source>&amp;Arrivals:</source>
        <translation>&amp;Arrivées&#xa0;:</translation>
    </message>
    <message>
        <source>Conversations started per second; 0 starts each one as soon as the concurrency allows</source>
        <translation>Conversations démarrées par seconde&#xa0;; 0 démarre chacune dès que la concurrence le permet</translation>
    </message>
    <message>
        <source> /s</source>
        <translation> /s</translation>
    </message>
    <message>
        <source>As fast as possible</source>
        <translation>Aussi vite que possible</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database (needs a database)</source>
        <translation>Après chaque session, comparer ce qu&apos;elle a dit avec la base de données (nécessite une base de données)</translation>
    </message>
    <message>
        <source>&amp;Verify the database</source>
        <translation>&amp;Vérifier la base de données</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Démarrer</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m sessions</translation>
    </message>
    <message>
        <source>The summary of a run appears here when it is over.</source>
        <translation>Le résumé d&apos;une exécution s&apos;affiche ici lorsqu&apos;elle est terminée.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Aid&amp;e</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <source>&amp;About Voxtrack</source>
        <translation>À &amp;propos de Voxtrack</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>À propos de &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Édition</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation>Se &amp;connecter…</translation>
    </message>
    <message>
        <source>Go to the connection bar to connect to a server and a database</source>
        <translation>Aller à la barre de connexion pour se connecter à un serveur et à une base de données</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>Se &amp;déconnecter</translation>
    </message>
    <message>
        <source>Close the connections to the server and the database</source>
        <translation>Fermer les connexions au serveur et à la base de données</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Paramètres…</translation>
    </message>
    <message>
        <source>Language and other preferences</source>
        <translation>Langue et autres préférences</translation>
    </message>
    <message>
        <source>Ctrl+,</source>
        <translation>Ctrl+,</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulateur</translation>
    </message>
    <message>
        <source>Ctrl+1</source>
        <translation>Ctrl+1</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sessions</translation>
    </message>
    <message>
        <source>Ctrl+2</source>
        <translation>Ctrl+2</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Conversation</translation>
    </message>
    <message>
        <source>Ctrl+3</source>
        <translation>Ctrl+3</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Tableau de bord</translation>
    </message>
    <message>
        <source>Ctrl+4</source>
        <translation>Ctrl+4</translation>
    </message>
    <message>
        <source>&amp;Health</source>
        <translation>Sa&amp;nté</translation>
    </message>
    <message>
        <source>Ctrl+5</source>
        <translation>Ctrl+5</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>Actualise&amp;r</translation>
    </message>
    <message>
        <source>Read the current page again from the database</source>
        <translation>Relire la page actuelle depuis la base de données</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
</context>
<context>
    <name>QCoreApplication</name>
    <message>
        <source>The audio of the message %1 is not a valid WAV file: %2</source>
        <translation>L&apos;audio du message %1 n&apos;est pas un fichier WAV valide&#xa0;: %2</translation>
    </message>
</context>
<context>
    <name>SessionsPage</name>
    <message>
        <source>Only this user&apos;s sessions</source>
        <translation>Uniquement les sessions de cet utilisateur</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Active or ended sessions</source>
        <translation>Sessions actives ou terminées</translation>
    </message>
    <message>
        <source>All sessions</source>
        <translation>Toutes les sessions</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Actives</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Terminées</translation>
    </message>
    <message>
        <source>Sessions with a message containing this text (any case)</source>
        <translation>Sessions dont un message contient ce texte (sans distinction de casse)</translation>
    </message>
    <message>
        <source>Text in a message</source>
        <translation>Texte dans un message</translation>
    </message>
    <message>
        <source>Sessions whose metadata has this key with this value, written key=value</source>
        <translation>Sessions dont les métadonnées contiennent cette clé avec cette valeur, sous la forme clé=valeur</translation>
    </message>
    <message>
        <source>key=value in metadata</source>
        <translation>clé=valeur dans les métadonnées</translation>
    </message>
    <message>
        <source>Follow the database: new sessions appear, ended ones change</source>
        <translation>Suivre la base de données&#xa0;: les nouvelles sessions apparaissent, celles qui se terminent sont mises à jour</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>&amp;En direct</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Langue&#xa0;:</translation>
    </message>
    <message>
        <source>Voxtrack uses the new language when it starts next.</source>
        <translation>Voxtrack utilisera la nouvelle langue au prochain démarrage.</translation>
    </message>
    <message>
        <source>Ask before &amp;quitting while a load run is going</source>
        <translation>Demander confirmation avant de &amp;quitter pendant un test de charge</translation>
    </message>
</context>
<context>
    <name>SimulatorPage</name>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Utilisateur&#xa0;:</translation>
    </message>
    <message>
        <source>The user the server records the session for (sent as user_id)</source>
        <translation>L&apos;utilisateur pour lequel le serveur enregistre la session (envoyé comme user_id)</translation>
    </message>
    <message>
        <source>&amp;Start session</source>
        <translation>&amp;Démarrer la session</translation>
    </message>
    <message>
        <source>&amp;End session</source>
        <translation>&amp;Terminer la session</translation>
    </message>
    <message>
        <source>What the user says…</source>
        <translation>Ce que dit l&apos;utilisateur…</translation>
    </message>
    <message>
        <source>&amp;Phrases</source>
        <translation>P&amp;hrases</translation>
    </message>
    <message>
        <source>Typical things a caller says</source>
        <translation>Phrases typiques d&apos;un appelant</translation>
    </message>
    <message>
        <source>Se&amp;nd</source>
        <translation>E&amp;nvoyer</translation>
    </message>
    <message>
        <source>Send each utterance as speech: synthesized with espeak-ng and streamed as 16 kHz audio in real time, with its text as the transcript</source>
        <translation>Envoyer chaque énoncé comme parole&#xa0;: synthétisé avec espeak-ng et diffusé en temps réel en audio 16 kHz, avec son texte comme transcription</translation>
    </message>
    <message>
        <source>S&amp;poken</source>
        <translation>&amp;Parlé</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Jouer aussi la parole sur cet ordinateur pendant son envoi</translation>
    </message>
    <message>
        <source>Al&amp;oud</source>
        <translation>À &amp;voix haute</translation>
    </message>
</context>
<context>
    <name>voxtrack::DatabaseUrl</name>
    <message>
        <source>The port &quot;%1&quot; in the database URL is not a number from 1 to 65535: fix the port, or leave it out to use 5432.</source>
        <translation>Le port «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas un nombre compris entre 1 et 65535&#xa0;: corrigez le port, ou omettez-le pour utiliser 5432.</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database (or postgres://…), sqlite::memory:, sqlite:relative/path.db or sqlite:///absolute/path.db</source>
        <translation>postgresql://utilisateur@hôte:5432/base (ou postgres://…), sqlite::memory:, sqlite:chemin/relatif.db ou sqlite:///chemin/absolu.db</translation>
    </message>
    <message>
        <source>the user name</source>
        <translation>le nom d&apos;utilisateur</translation>
    </message>
    <message>
        <source>the password</source>
        <translation>le mot de passe</translation>
    </message>
    <message>
        <source>the host</source>
        <translation>l&apos;hôte</translation>
    </message>
    <message>
        <source>the database name</source>
        <translation>le nom de la base de données</translation>
    </message>
    <message>
        <source>an option name</source>
        <translation>un nom d&apos;option</translation>
    </message>
    <message>
        <source>the value of the option &quot;%1&quot;</source>
        <translation>la valeur de l&apos;option «&#xa0;%1&#xa0;»</translation>
    </message>
    <message>
        <source>the SQLite file path</source>
        <translation>le chemin du fichier SQLite</translation>
    </message>
    <message>
        <source>a space</source>
        <translation>un espace</translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation>le caractère de contrôle U+%1</translation>
    </message>
    <message>
        <source>The database URL has %1 in %2, which must be percent-encoded: write it as %3.</source>
        <translation>L&apos;URL de la base de données contient %1 dans %2, qui doit être encodé en pourcent&#xa0;: écrivez-le %3.</translation>
    </message>
    <message>
        <source>The database URL has a malformed percent-escape in the password: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>L&apos;URL de la base de données contient une séquence d&apos;échappement % mal formée dans le mot de passe&#xa0;: un % doit être suivi de deux chiffres hexadécimaux, écrivez donc un % littéral sous la forme %25.</translation>
    </message>
    <message>
        <source>The database URL has the malformed percent-escape &quot;%1&quot; in %2: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>L&apos;URL de la base de données contient la séquence d&apos;échappement % mal formée «&#xa0;%1&#xa0;» dans %2&#xa0;: un % doit être suivi de deux chiffres hexadécimaux, écrivez donc un % littéral sous la forme %25.</translation>
    </message>
    <message>
        <source>The database URL has an encoded NUL character (%2) in %1, which a database cannot use: remove it.</source>
        <translation>L&apos;URL de la base de données contient un caractère NUL encodé (%2) dans %1, qu&apos;une base de données ne peut pas utiliser&#xa0;: supprimez-le.</translation>
    </message>
    <message>
        <source>The database URL has percent-escapes in %1 that are not UTF-8 text: encode other characters as UTF-8 bytes (é is %C3%A9).</source>
        <translation>L&apos;URL de la base de données contient dans %1 des séquences d&apos;échappement % qui ne sont pas du texte UTF-8&#xa0;: encodez les autres caractères en octets UTF-8 (é s&apos;écrit %C3%A9).</translation>
    </message>
    <message>
        <source>The IPv6 address &quot;%1&quot; in the database URL is not valid: write hexadecimal groups separated by colons, as in [::1] or [2001:db8::5].</source>
        <translation>L&apos;adresse IPv6 «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas valide&#xa0;: écrivez des groupes hexadécimaux séparés par des deux-points, comme dans [::1] ou [2001:db8::5].</translation>
    </message>
    <message>
        <source>The database URL lists several hosts (&quot;%1&quot;), which is not supported: give a single host.</source>
        <translation>L&apos;URL de la base de données indique plusieurs hôtes («&#xa0;%1&#xa0;»), ce qui n&apos;est pas pris en charge&#xa0;: indiquez un seul hôte.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL is not a valid host name: give a host name, an IPv4 address, an IPv6 address in brackets such as [::1], or a socket directory as ?host=/var/run/postgresql.</source>
        <translation>L&apos;hôte «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas un nom d&apos;hôte valide&#xa0;: indiquez un nom d&apos;hôte, une adresse IPv4, une adresse IPv6 entre crochets comme [::1], ou un répertoire de socket sous la forme ?host=/var/run/postgresql.</translation>
    </message>
    <message>
        <source>The sslmode &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>Le sslmode «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas valide&#xa0;: utilisez l&apos;une des valeurs %2.</translation>
    </message>
    <message>
        <source>The target_session_attrs &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>Le target_session_attrs «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas valide&#xa0;: utilisez l&apos;une des valeurs %2.</translation>
    </message>
    <message>
        <source>The %1 &quot;%2&quot; in the database URL is not a whole number of seconds: give a number such as 10, or leave the option out.</source>
        <translation>Le %1 «&#xa0;%2&#xa0;» de l&apos;URL de la base de données n&apos;est pas un nombre entier de secondes&#xa0;: indiquez un nombre comme 10, ou omettez l&apos;option.</translation>
    </message>
    <message>
        <source>The keepalives &quot;%1&quot; in the database URL is not valid: use 1 to turn TCP keepalives on or 0 to turn them off.</source>
        <translation>Le keepalives «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas valide&#xa0;: utilisez 1 pour activer les keepalives TCP ou 0 pour les désactiver.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL has no value: write it as %1=value.</source>
        <translation>L&apos;option «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;a pas de valeur&#xa0;: écrivez-la sous la forme %1=valeur.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; appears more than once in the database URL: keep only one.</source>
        <translation>L&apos;option «&#xa0;%1&#xa0;» apparaît plusieurs fois dans l&apos;URL de la base de données&#xa0;: n&apos;en gardez qu&apos;une.</translation>
    </message>
    <message>
        <source>The database URL scheme &quot;%1&quot; is not supported: use %2.</source>
        <translation>Le schéma d&apos;URL de base de données «&#xa0;%1&#xa0;» n&apos;est pas pris en charge&#xa0;: utilisez %2.</translation>
    </message>
    <message>
        <source>The database URL has no scheme: start it with postgresql://, as in postgresql://user@host:5432/database.</source>
        <translation>L&apos;URL de la base de données n&apos;a pas de schéma&#xa0;: commencez-la par postgresql://, comme dans postgresql://utilisateur@hôte:5432/base.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a file path, not a database URL: write %2 to use it as an SQLite database.</source>
        <translation>«&#xa0;%1&#xa0;» est un chemin de fichier, pas une URL de base de données&#xa0;: écrivez %2 pour l&apos;utiliser comme base de données SQLite.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a database URL: use %2.</source>
        <translation>«&#xa0;%1&#xa0;» n&apos;est pas une URL de base de données&#xa0;: utilisez %2.</translation>
    </message>
    <message>
        <source>The SQLite URL names the host &quot;%1&quot;, but an SQLite database is a local file: use three slashes for an absolute path (sqlite:///%2) or none for a relative one (sqlite:%2).</source>
        <translation>L&apos;URL SQLite indique l&apos;hôte «&#xa0;%1&#xa0;», mais une base de données SQLite est un fichier local&#xa0;: utilisez trois barres obliques pour un chemin absolu (sqlite:///%2) ou aucune pour un chemin relatif (sqlite:%2).</translation>
    </message>
    <message>
        <source>The SQLite URL has no file path: write sqlite:///absolute/path.db, sqlite:relative/path.db, or sqlite::memory: for an in-memory database.</source>
        <translation>L&apos;URL SQLite n&apos;a pas de chemin de fichier&#xa0;: écrivez sqlite:///chemin/absolu.db, sqlite:chemin/relatif.db, ou sqlite::memory: pour une base de données en mémoire.</translation>
    </message>
    <message>
        <source>The SQLite path &quot;%1&quot; ends with &quot;/&quot;, so it names a directory: add the file name, as in %1voxtrack.db.</source>
        <translation>Le chemin SQLite «&#xa0;%1&#xa0;» se termine par «&#xa0;/&#xa0;» et désigne donc un répertoire&#xa0;: ajoutez le nom du fichier, comme dans %1voxtrack.db.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported for SQLite: the only option is mode (ro, rw or rwc).</source>
        <translation>L&apos;option «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas prise en charge pour SQLite&#xa0;: la seule option est mode (ro, rw ou rwc).</translation>
    </message>
    <message>
        <source>The SQLite mode &quot;%1&quot; in the database URL is not valid: use ro (read-only), rw (read-write) or rwc (read-write, created if missing).</source>
        <translation>Le mode SQLite «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas valide&#xa0;: utilisez ro (lecture seule), rw (lecture-écriture) ou rwc (lecture-écriture, créée si elle n&apos;existe pas).</translation>
    </message>
    <message>
        <source>The database URL is empty: give one such as postgresql://user@host/database or sqlite:///path/to/file.db.</source>
        <translation>L&apos;URL de la base de données est vide&#xa0;: indiquez-en une comme postgresql://utilisateur@hôte/base ou sqlite:///chemin/vers/fichier.db.</translation>
    </message>
    <message>
        <source>The database URL must continue with &quot;//&quot; after &quot;%1:&quot;: write %1://host/database, or %1:///database for the local socket.</source>
        <translation>L&apos;URL de la base de données doit se poursuivre par «&#xa0;//&#xa0;» après «&#xa0;%1:&#xa0;»&#xa0;: écrivez %1://hôte/base, ou %1:///base pour le socket local.</translation>
    </message>
    <message>
        <source>The database URL has an &quot;@&quot; after the host, which usually means the user name or password contains &quot;/&quot; or &quot;?&quot;: percent-encode them as %2F and %3F.</source>
        <translation>L&apos;URL de la base de données contient un «&#xa0;@&#xa0;» après l&apos;hôte, ce qui signifie généralement que le nom d&apos;utilisateur ou le mot de passe contient «&#xa0;/&#xa0;» ou «&#xa0;?&#xa0;»&#xa0;: encodez-les en pourcent sous la forme %2F et %3F.</translation>
    </message>
    <message>
        <source>The database URL has more than one &quot;@&quot; before the host: if the user name or password contains &quot;@&quot;, write it as %40.</source>
        <translation>L&apos;URL de la base de données contient plusieurs «&#xa0;@&#xa0;» avant l&apos;hôte&#xa0;: si le nom d&apos;utilisateur ou le mot de passe contient «&#xa0;@&#xa0;», écrivez-le %40.</translation>
    </message>
    <message>
        <source>The database URL opens an IPv6 address with &quot;[&quot; but never closes it: add the &quot;]&quot;, as in postgresql://[::1]:5432/database.</source>
        <translation>L&apos;URL de la base de données ouvre une adresse IPv6 avec «&#xa0;[&#xa0;» mais ne la referme jamais&#xa0;: ajoutez le «&#xa0;]&#xa0;», comme dans postgresql://[::1]:5432/base.</translation>
    </message>
    <message>
        <source>The database URL has &quot;%1&quot; after the IPv6 address [%2]: only a port may follow it, as in [%2]:5432.</source>
        <translation>L&apos;URL de la base de données contient «&#xa0;%1&#xa0;» après l&apos;adresse IPv6 [%2]&#xa0;: seul un port peut la suivre, comme dans [%2]:5432.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL has more than one &quot;:&quot;: put an IPv6 address in brackets, as in postgresql://[::1]:5432/database.</source>
        <translation>L&apos;hôte «&#xa0;%1&#xa0;» de l&apos;URL de la base de données contient plusieurs «&#xa0;:&#xa0;»&#xa0;: placez une adresse IPv6 entre crochets, comme dans postgresql://[::1]:5432/base.</translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; in the database URL contains &quot;/&quot;: give a single name after the host, writing a slash that belongs to the name as %2F.</source>
        <translation>Le nom de base de données «&#xa0;%1&#xa0;» de l&apos;URL de la base de données contient «&#xa0;/&#xa0;»&#xa0;: indiquez un seul nom après l&apos;hôte, en écrivant une barre oblique faisant partie du nom sous la forme %2F.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported: use one of %2.</source>
        <translation>L&apos;option «&#xa0;%1&#xa0;» de l&apos;URL de la base de données n&apos;est pas prise en charge&#xa0;: utilisez l&apos;une des options %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::EndReason</name>
    <message>
        <source>The end reason &quot;%1&quot; is not known: use one of %2.</source>
        <translation>Le motif de fin «&#xa0;%1&#xa0;» est inconnu&#xa0;: utilisez l&apos;un des motifs %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::Role</name>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use &quot;agent&quot; for the agent&apos;s replies (allowed roles: %2).</source>
        <translation>Le rôle «&#xa0;%1&#xa0;» n&apos;est pas autorisé&#xa0;: utilisez «&#xa0;agent&#xa0;» pour les réponses de l&apos;agent (rôles autorisés&#xa0;: %2).</translation>
    </message>
    <message>
        <source>The role is empty: use one of %1.</source>
        <translation>Le rôle est vide&#xa0;: utilisez l&apos;un des rôles %1.</translation>
    </message>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use one of %2.</source>
        <translation>Le rôle «&#xa0;%1&#xa0;» n&apos;est pas autorisé&#xa0;: utilisez l&apos;un des rôles %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::app</name>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help. [usage]</source>
        <translation>Argument inattendu «&#xa0;%1&#xa0;»&#xa0;: voir --help. [usage]</translation>
    </message>
    <message>
        <source>Could not write the picture to %1: check the directory exists and is writable. [screenshot.write]</source>
        <translation>Impossible d&apos;écrire l&apos;image dans %1&#xa0;: vérifiez que le répertoire existe et est accessible en écriture. [screenshot.write]</translation>
    </message>
    <message>
        <source>Monitoring and test harness for voice-agent conversation tracking: drives conversations against a server and shows what reached its PostgreSQL or SQLite database, live.</source>
        <translation>Outil de surveillance et banc de test pour le suivi des conversations d&apos;agents vocaux&#xa0;: pilote des conversations sur un serveur et affiche en direct ce qui a atteint sa base de données PostgreSQL ou SQLite.</translation>
    </message>
    <message>
        <source>Run the demo: a built-in server on an SQLite database in %1, with synthetic conversations arriving at a gentle rate.</source>
        <translation>Lancer la démo&#xa0;: un serveur intégré sur une base de données SQLite dans %1, avec des conversations synthétiques arrivant à un rythme modéré.</translation>
    </message>
    <message>
        <source>Database URL to connect to at start: postgresql://user@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db.</source>
        <translation>URL de la base de données à laquelle se connecter au démarrage&#xa0;: postgresql://utilisateur@hôte:5432/base?sslmode=require, sqlite:///chemin.db ou sqlite:relatif.db.</translation>
    </message>
    <message>
        <source>Server URL to connect to at start: ws://127.0.0.1:8787/v1/conversation.</source>
        <translation>URL du serveur auquel se connecter au démarrage&#xa0;: ws://127.0.0.1:8787/v1/conversation.</translation>
    </message>
    <message>
        <source>After --wait seconds, save a PNG picture of each page into this directory, and quit.</source>
        <translation>Après --wait secondes, enregistrer une image PNG de chaque page dans ce répertoire, puis quitter.</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>rép</translation>
    </message>
    <message>
        <source>Seconds to let conversations arrive before --screenshots (default 10).</source>
        <translation>Secondes pendant lesquelles laisser arriver les conversations avant --screenshots (10 par défaut).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>--wait takes a whole number of seconds, not &quot;%1&quot;. [usage]</source>
        <translation>--wait attend un nombre entier de secondes, pas «&#xa0;%1&#xa0;». [usage]</translation>
    </message>
    <message>
        <source>--demo runs its own server and database: leave out --db and --server. [usage]</source>
        <translation>--demo exécute son propre serveur et sa propre base de données&#xa0;: omettez --db et --server. [usage]</translation>
    </message>
    <message>
        <source>Could not create the directory %1 for the pictures. [screenshot.write]</source>
        <translation>Impossible de créer le répertoire %1 pour les images. [screenshot.write]</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli</name>
    <message>
        <source>Database URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.</source>
        <translation>URL de la base de données&#xa0;: postgresql://utilisateur:motdepasse@hôte:5432/base?sslmode=require, sqlite:///chemin.db ou sqlite:relatif.db. Par défaut&#xa0;: $VOXTRACK_DB, sinon %1.</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Print the result as JSON for programs.</source>
        <translation>Afficher le résultat en JSON, pour les programmes.</translation>
    </message>
    <message>
        <source>: see --help.</source>
        <translation>&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help.</source>
        <translation>Argument inattendu «&#xa0;%1&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>Creates the conversation tables, or brings them to the current schema version. An old database whose sessions are keyed by id only is upgraded: session_id is added and filled from id. Everything runs in one transaction: on failure nothing is changed.</source>
        <translation>Crée les tables de conversations, ou les met à jour vers la version actuelle du schéma. Une ancienne base de données dont les sessions sont indexées uniquement par id est mise à niveau&#xa0;: session_id est ajouté et rempli à partir de id. Tout s&apos;exécute dans une seule transaction&#xa0;: en cas d&apos;échec, rien n&apos;est modifié.</translation>
    </message>
    <message>
        <source>%1 is at schema version %2: nothing to do.
</source>
        <translation>%1 est à la version %2 du schéma&#xa0;: rien à faire.
</translation>
    </message>
    <message>
        <source>Upgraded the old table shape: session_id filled from id, NOT NULL and UNIQUE.
</source>
        <translation>Ancienne structure de table mise à niveau&#xa0;: session_id rempli à partir de id, NOT NULL et UNIQUE.
</translation>
    </message>
    <message>
        <source>Migrated %1 from schema version %2 to %3 (applied: %4).
</source>
        <translation>%1 migrée de la version %2 du schéma vers la version %3 (appliqué&#xa0;: %4).
</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>Checks a conversation database, read-only, for the faults that break conversation tracking: a role outside user/agent/system, messages without their session, NULL session ids, sessions never ended, wrong durations and more. Exit code 0: no errors; 1: errors found; 2: could not run.</source>
        <translation>Vérifie une base de données de conversations, en lecture seule, à la recherche des défauts qui perturbent le suivi des conversations&#xa0;: un rôle autre que user/agent/system, des messages sans leur session, des identifiants de session NULL, des sessions jamais terminées, des durées erronées, etc. Code de sortie 0&#xa0;: aucune erreur&#xa0;; 1&#xa0;: erreurs trouvées&#xa0;; 2&#xa0;: exécution impossible.</translation>
    </message>
    <message>
        <source>An active session older than this many hours is stale (default 24).</source>
        <translation>Une session active plus ancienne que ce nombre d&apos;heures est considérée comme périmée (24 par défaut).</translation>
    </message>
    <message>
        <source>hours</source>
        <translation>heures</translation>
    </message>
    <message>
        <source>Seconds two timestamps or a duration may disagree by (default 1).</source>
        <translation>Écart en secondes toléré entre deux horodatages ou une durée (1 par défaut).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>--stale-after takes a positive number of hours, not &quot;%1&quot;.</source>
        <translation>--stale-after attend un nombre d&apos;heures positif, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>--tolerance takes a number of seconds of 0 or more, not &quot;%1&quot;.</source>
        <translation>--tolerance attend un nombre de secondes supérieur ou égal à 0, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>Create or upgrade the conversation tables</source>
        <translation>Créer ou mettre à niveau les tables de conversations</translation>
    </message>
    <message>
        <source>Check a database for conversation-tracking faults</source>
        <translation>Vérifier une base de données à la recherche de défauts de suivi des conversations</translation>
    </message>
    <message>
        <source>Usage: voxtrack-cli &lt;command&gt; [options]

The headless harness for conversation-tracking backends.

Commands:
</source>
        <translation>Utilisation&#xa0;: voxtrack-cli &lt;command&gt; [options]

Le banc de test sans interface pour les backends de suivi des conversations.

Commandes&#xa0;:
</translation>
    </message>
    <message>
        <source>
Run voxtrack-cli &lt;command&gt; --help for a command&apos;s options.
Exit codes: 0 done, 1 errors found, 2 could not run.
</source>
        <translation>
Exécutez voxtrack-cli &lt;command&gt; --help pour les options d&apos;une commande.
Codes de sortie&#xa0;: 0 terminé, 1 erreurs trouvées, 2 exécution impossible.
</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;: run voxtrack-cli --help for the list.</source>
        <translation>Commande inconnue «&#xa0;%1&#xa0;»&#xa0;: exécutez voxtrack-cli --help pour obtenir la liste.</translation>
    </message>
    <message>
        <source>--user takes a user_id, not an empty string.</source>
        <translation>--user attend un user_id, pas une chaîne vide.</translation>
    </message>
    <message>
        <source>--active and --ended exclude each other: give one of them.</source>
        <translation>--active et --ended s&apos;excluent mutuellement&#xa0;: indiquez l&apos;une des deux.</translation>
    </message>
    <message>
        <source>--since takes a time like 2h, 3d or 2025-10-18T09:30:00Z, not &quot;%1&quot;.</source>
        <translation>--since attend une durée ou une date comme 2h, 3d ou 2025-10-18T09:30:00Z, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>Lists conversation sessions, newest first, read-only: who, when, how long, how many stored messages and why it ended.</source>
        <translation>Liste les sessions de conversation, les plus récentes en premier, en lecture seule&#xa0;: qui, quand, combien de temps, combien de messages enregistrés et pourquoi elles se sont terminées.</translation>
    </message>
    <message>
        <source>Show at most this many sessions (default 50).</source>
        <translation>Afficher au plus ce nombre de sessions (50 par défaut).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>--limit takes a whole number of 1 or more, not &quot;%1&quot;.</source>
        <translation>--limit attend un nombre entier supérieur ou égal à 1, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>SESSION</source>
        <translation>SESSION</translation>
    </message>
    <message>
        <source>USER</source>
        <translation>UTILISATEUR</translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation>DÉBUT</translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation>DURÉE</translation>
    </message>
    <message>
        <source>MESSAGES</source>
        <translation>MESSAGES</translation>
    </message>
    <message>
        <source>END</source>
        <translation>FIN</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) shown (of %1 matching).
</source>
        <translation>
            <numerusform>%n session affichée (sur %1 correspondantes).
</numerusform>
            <numerusform>%n sessions affichées (sur %1 correspondantes).
</numerusform>
        </translation>
    </message>
    <message>
        <source>Shows one session&apos;s stored messages in order (seq, then created_at), read-only.</source>
        <translation>Affiche dans l&apos;ordre les messages enregistrés d&apos;une session (seq, puis created_at), en lecture seule.</translation>
    </message>
    <message>
        <source>The session to show.</source>
        <translation>La session à afficher.</translation>
    </message>
    <message>
        <source>Name the session: voxtrack-cli messages SESSION_ID --db URL.</source>
        <translation>Indiquez la session&#xa0;: voxtrack-cli messages SESSION_ID --db URL.</translation>
    </message>
    <message>
        <source>The session %1 has no stored messages.
</source>
        <translation>La session %1 n&apos;a aucun message enregistré.
</translation>
    </message>
    <message>
        <source>SEQ</source>
        <translation>SEQ</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>HEURE</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>RÔLE</translation>
    </message>
    <message>
        <source>CONTENT</source>
        <translation>CONTENU</translation>
    </message>
    <message>
        <source>AUDIO</source>
        <translation>AUDIO</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) in session %1.
</source>
        <translation>
            <numerusform>%n message dans la session %1.
</numerusform>
            <numerusform>%n messages dans la session %1.
</numerusform>
        </translation>
    </message>
    <message>
        <source>Exports every matching session with its messages, read-only. csv: one row per message with the session&apos;s columns repeated (a session without messages gets one row), RFC 4180 quoting, a header row. json: an array of sessions, each with a &quot;messages&quot; array.</source>
        <translation>Exporte chaque session correspondante avec ses messages, en lecture seule. csv&#xa0;: une ligne par message avec les colonnes de la session répétées (une session sans messages obtient une ligne), guillemets selon la RFC 4180, une ligne d&apos;en-tête. json&#xa0;: un tableau de sessions, chacune avec un tableau &quot;messages&quot;.</translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation>csv ou json.</translation>
    </message>
    <message>
        <source>format</source>
        <translation>format</translation>
    </message>
    <message>
        <source>Write to this file (replaced whole, or not at all) instead of stdout.</source>
        <translation>Écrire dans ce fichier (remplacé entièrement, ou pas du tout) au lieu de la sortie standard.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>fichier</translation>
    </message>
    <message>
        <source>--format takes csv or json, not &quot;%1&quot;.</source>
        <translation>--format attend csv ou json, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>Say which format to export: --format csv or --format json.</source>
        <translation>Indiquez le format d&apos;exportation&#xa0;: --format csv ou --format json.</translation>
    </message>
    <message>
        <source>--output takes a file name, not an empty string.</source>
        <translation>--output attend un nom de fichier, pas une chaîne vide.</translation>
    </message>
    <message>
        <source>Could not write %1: %2: check the directory exists and is writable.</source>
        <translation>Impossible d&apos;écrire %1&#xa0;: %2&#xa0;: vérifiez que le répertoire existe et est accessible en écriture.</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n session(s) with %1 message(s) to %2.
</source>
        <translation>
            <numerusform>%n session exportée avec %1 message(s) vers %2.
</numerusform>
            <numerusform>%n sessions exportées avec %1 message(s) vers %2.
</numerusform>
        </translation>
    </message>
    <message>
        <source>List sessions, newest first</source>
        <translation>Lister les sessions, les plus récentes en premier</translation>
    </message>
    <message>
        <source>Show one session&apos;s messages in order</source>
        <translation>Afficher dans l&apos;ordre les messages d&apos;une session</translation>
    </message>
    <message>
        <source>Export sessions with their messages as CSV or JSON</source>
        <translation>Exporter les sessions avec leurs messages en CSV ou JSON</translation>
    </message>
    <message>
        <source>Run a scenario&apos;s conversations against a server and verify them</source>
        <translation>Exécuter les conversations d&apos;un scénario sur un serveur et les vérifier</translation>
    </message>
    <message>
        <source>--%1 expects a whole number from %2 to %3, not &quot;%4&quot;: see --help.</source>
        <translation>--%1 attend un nombre entier compris entre %2 et %3, pas «&#xa0;%4&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>%1/%2 sessions done, %3 open, %4 msg/s, reply p95 %5, %6 error(s)</source>
        <translation>%1/%2 sessions terminées, %3 ouvertes, %4 msg/s, réponse p95 %5, %6 erreur(s)</translation>
    </message>
    <message>
        <source>, verifying %1</source>
        <translation>, vérification de %1</translation>
    </message>
    <message>
        <source> (stopping)</source>
        <translation> (arrêt en cours)</translation>
    </message>
    <message>
        <source>The scenario file (JSON).</source>
        <translation>Le fichier de scénario (JSON).</translation>
    </message>
    <message>
        <source>The server&apos;s WebSocket URL. Default: $VOXTRACK_URL, else %1.</source>
        <translation>L&apos;URL WebSocket du serveur. Par défaut&#xa0;: $VOXTRACK_URL, sinon %1.</translation>
    </message>
    <message>
        <source>Bearer token every session sends (default: $VOXTRACK_TOKEN). Without one, sessions name their user with ?user_id= (a server run with --no-auth).</source>
        <translation>Jeton Bearer envoyé par chaque session (par défaut&#xa0;: $VOXTRACK_TOKEN). Sans jeton, les sessions indiquent leur utilisateur avec ?user_id= (serveur lancé avec --no-auth).</translation>
    </message>
    <message>
        <source>token</source>
        <translation>jeton</translation>
    </message>
    <message>
        <source>Compare the database (--db) with every session once it ended.</source>
        <translation>Comparer la base de données (--db) avec chaque session une fois celle-ci terminée.</translation>
    </message>
    <message>
        <source>Write summary.json, junit.xml and turns.csv into this directory (created if needed).</source>
        <translation>Écrire summary.json, junit.xml et turns.csv dans ce répertoire (créé si nécessaire).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>rép</translation>
    </message>
    <message>
        <source>Run this many sessions instead of the scenario&apos;s.</source>
        <translation>Exécuter ce nombre de sessions au lieu de celui du scénario.</translation>
    </message>
    <message>
        <source>At most this many sessions at once instead of the scenario&apos;s.</source>
        <translation>Au plus ce nombre de sessions simultanées au lieu de celui du scénario.</translation>
    </message>
    <message>
        <source>Threads holding the connections (default: one per core).</source>
        <translation>Threads gérant les connexions (par défaut&#xa0;: un par cœur).</translation>
    </message>
    <message>
        <source>Milliseconds to wait for a connection, an acknowledgement or a reply before it counts as an error (default 10000).</source>
        <translation>Millisecondes d&apos;attente d&apos;une connexion, d&apos;un accusé de réception ou d&apos;une réponse avant de compter une erreur (10000 par défaut).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a session&apos;s rows may take to reach the database after it ended; verification looks again until then before it reports a difference (default 5000).</source>
        <translation>Millisecondes dont disposent les lignes d&apos;une session pour atteindre la base de données après sa fin&#xa0;; la vérification réessaie jusque-là avant de signaler une différence (5000 par défaut).</translation>
    </message>
    <message>
        <source>Seconds duration_seconds may differ from the duration the client saw (default 1).</source>
        <translation>Écart en secondes toléré entre duration_seconds et la durée constatée par le client (1 par défaut).</translation>
    </message>
    <message>
        <source>Do not ask the server for message.persisted frames (no persisted latency without --verify).</source>
        <translation>Ne pas demander au serveur de trames message.persisted (pas de latence de persistance sans --verify).</translation>
    </message>
    <message>
        <source>Seed for the random think times, to repeat a run exactly.</source>
        <translation>Graine des temps de réflexion aléatoires, pour reproduire une exécution à l&apos;identique.</translation>
    </message>
    <message>
        <source>No progress line, even on a terminal.</source>
        <translation>Pas de ligne de progression, même dans un terminal.</translation>
    </message>
    <message>
        <source>Name the scenario file to run: see --help.</source>
        <translation>Indiquez le fichier de scénario à exécuter&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not a WebSocket URL: use ws://host:port/v1/conversation.</source>
        <translation>L&apos;URL de serveur «&#xa0;%1&#xa0;» n&apos;est pas une URL WebSocket&#xa0;: utilisez ws://hôte:port/v1/conversation.</translation>
    </message>
    <message>
        <source>--tolerance expects seconds from 0 to 3600, not &quot;%1&quot;: see --help.</source>
        <translation>--tolerance attend un nombre de secondes compris entre 0 et 3600, pas «&#xa0;%1&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number above 0, not &quot;%1&quot;: see --help.</source>
        <translation>--seed attend un nombre entier supérieur à 0, pas «&#xa0;%1&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>The scenario&apos;s min_persisted_ratio needs --verify or message.persisted frames: drop --no-persisted or add --verify.</source>
        <translation>Le min_persisted_ratio du scénario nécessite --verify ou des trames message.persisted&#xa0;: retirez --no-persisted ou ajoutez --verify.</translation>
    </message>
    <message>
        <source>%1 sessions at once need as many open files, but this process may open only %2: raise the limit (ulimit -n %3) or lower the concurrency.</source>
        <translation>%1 sessions simultanées nécessitent autant de fichiers ouverts, mais ce processus ne peut en ouvrir que %2&#xa0;: augmentez la limite (ulimit -n %3) ou réduisez la concurrence.</translation>
    </message>
    <message>
        <source>Stopping: no new sessions; open ones finish their turn and end (Ctrl+C again to abort).</source>
        <translation>Arrêt&#xa0;: plus de nouvelles sessions&#xa0;; les sessions ouvertes terminent leur tour puis se ferment (Ctrl+C à nouveau pour interrompre).</translation>
    </message>
    <message>
        <source>Aborting the open connections.</source>
        <translation>Interruption des connexions ouvertes.</translation>
    </message>
    <message>
        <source>Append realistic conversations to a database, fast</source>
        <translation>Ajouter rapidement des conversations réalistes à une base de données</translation>
    </message>
    <message>
        <source>Say how many with --%1 (a whole number from %2 to %3): see --help.</source>
        <translation>Indiquez combien avec --%1 (un nombre entier compris entre %2 et %3)&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>%1 rows written, committing…</source>
        <translation>%1 lignes écrites, validation en cours…</translation>
    </message>
    <message>
        <source>%1 / %2 rows (%3%), %4 rows/s, ETA %5</source>
        <translation>%1 / %2 lignes (%3 %), %4 lignes/s, temps restant %5</translation>
    </message>
    <message>
        <source>Appends realistic conversations to a migrated database: sessions spread over the last days (ended ones with durations from seconds to half an hour, a share still open), each with a system prompt and alternating user and agent messages with metadata and audio URLs. The rows pass voxtrack-cli doctor. Everything is written in one transaction: on failure or Ctrl+C nothing is left behind. Exit code 0: done; 2: could not seed.</source>
        <translation>Ajoute des conversations réalistes à une base de données migrée&#xa0;: des sessions réparties sur les derniers jours (les sessions terminées durent de quelques secondes à une demi-heure, une partie reste ouverte), chacune avec un prompt système et des messages alternés user et agent, avec métadonnées et URL audio. Les lignes passent voxtrack-cli doctor. Tout est écrit dans une seule transaction&#xa0;: en cas d&apos;échec ou de Ctrl+C, rien n&apos;est conservé. Code de sortie 0&#xa0;: terminé&#xa0;; 2&#xa0;: remplissage impossible.</translation>
    </message>
    <message>
        <source>How many sessions to write (1 to 10,000,000).</source>
        <translation>Nombre de sessions à écrire (de 1 à 10 000 000).</translation>
    </message>
    <message>
        <source>Messages in every session, the system prompt included (0 to 1,000).</source>
        <translation>Messages par session, prompt système compris (de 0 à 1 000).</translation>
    </message>
    <message>
        <source>m</source>
        <translation>m</translation>
    </message>
    <message>
        <source>How many users the sessions belong to (default: sessions / 20, at least 1).</source>
        <translation>Nombre d&apos;utilisateurs auxquels appartiennent les sessions (par défaut&#xa0;: sessions / 20, au moins 1).</translation>
    </message>
    <message>
        <source>Ended sessions start within this many days back from now (default 30).</source>
        <translation>Les sessions terminées commencent au plus ce nombre de jours avant maintenant (30 par défaut).</translation>
    </message>
    <message>
        <source>Percentage of sessions still open, started within the last hour (default 1).</source>
        <translation>Pourcentage de sessions encore ouvertes, démarrées dans la dernière heure (1 par défaut).</translation>
    </message>
    <message>
        <source>percent</source>
        <translation>pourcentage</translation>
    </message>
    <message>
        <source>Repeat the content of an earlier run (users, texts, metadata, times relative to now); random when not given. Session and message ids are always fresh.</source>
        <translation>Reproduire le contenu d&apos;une exécution précédente (utilisateurs, textes, métadonnées, heures relatives à maintenant)&#xa0;; aléatoire si non indiqué. Les identifiants de session et de message sont toujours nouveaux.</translation>
    </message>
    <message>
        <source>--active expects a percentage from 0 to 100, not &quot;%1&quot;: see --help.</source>
        <translation>--active attend un pourcentage compris entre 0 et 100, pas «&#xa0;%1&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number from 0 to %1, not &quot;%2&quot;: see --help.</source>
        <translation>--seed attend un nombre entier compris entre 0 et %1, pas «&#xa0;%2&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: create it with voxtrack-cli migrate --db %2, then seed it.</source>
        <translation>Il n&apos;existe aucune base de données SQLite à l&apos;emplacement %1&#xa0;: créez-la avec voxtrack-cli migrate --db %2, puis remplissez-la.</translation>
    </message>
    <message>
        <source>Seeded %1: %2 sessions (%3 open) with %4 messages for %5 users.
</source>
        <translation>%1 remplie&#xa0;: %2 sessions (%3 ouvertes) avec %4 messages pour %5 utilisateurs.
</translation>
    </message>
    <message>
        <source>%1 rows in %2 s: %3 rows/s. Seed %4 repeats this content.
</source>
        <translation>%1 lignes en %2 s&#xa0;: %3 lignes/s. La graine %4 reproduit ce contenu.
</translation>
    </message>
    <message>
        <source>Runs the conversations of a scenario file (docs/scenarios.md) against a server speaking protocol v1: from one session to thousands at once, with think times, expectations on each reply and captured values. With --verify, each finished session is compared with the database: the session row and every message, role, content and duration, and the stored audio of every spoken turn. Thresholds in the scenario decide the exit code: 0 every threshold holds and verification is clean, 1 otherwise, 2 the run could not take place. Ctrl+C stops the run gracefully and still writes the report; a second Ctrl+C aborts the open connections.</source>
        <translation>Exécute les conversations d&apos;un fichier de scénario (docs/scenarios.md) contre un serveur parlant le protocole v1&#xa0;: d&apos;une session à des milliers à la fois, avec temps de réflexion, attentes sur chaque réponse et valeurs capturées. Avec --verify, chaque session terminée est comparée à la base de données&#xa0;: la ligne de session et chaque message, rôle, contenu et durée, ainsi que l&apos;audio stocké de chaque tour parlé. Les seuils du scénario décident du code de sortie&#xa0;: 0 tous les seuils sont tenus et la vérification est propre, 1 sinon, 2 l&apos;exécution n&apos;a pas pu avoir lieu. Ctrl+C arrête l&apos;exécution proprement et écrit quand même le rapport&#xa0;; un second Ctrl+C interrompt les connexions ouvertes.</translation>
    </message>
    <message>
        <source>How spoken turns send their audio: realtime (one 20 ms frame every 20 ms) or fast (all at once), instead of the scenario&apos;s &quot;audio&quot;.&quot;pacing&quot;.</source>
        <translation>Comment les tours parlés envoient leur audio&#xa0;: realtime (une trame de 20 ms toutes les 20 ms) ou fast (tout d&apos;un coup), à la place du «&#xa0;audio&#xa0;».«&#xa0;pacing&#xa0;» du scénario.</translation>
    </message>
    <message>
        <source>mode</source>
        <translation>mode</translation>
    </message>
    <message>
        <source>--pacing expects realtime or fast, not &quot;%1&quot;: see --help.</source>
        <translation>--pacing attend realtime ou fast, pas «&#xa0;%1&#xa0;»&#xa0;: voir --help.</translation>
    </message>
    <message>
        <source>Leave audio_url NULL on every message (by default most agent messages get an example URL that serves nothing: use this for data a player will open).</source>
        <translation>Laisser audio_url à NULL dans chaque message (par défaut, la plupart des messages de l&apos;agent reçoivent une URL d&apos;exemple qui ne sert rien&#xa0;: utilisez ceci pour des données qu&apos;un lecteur ouvrira).</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli::FilterOptions</name>
    <message>
        <source>Only the sessions of this user_id.</source>
        <translation>Uniquement les sessions de ce user_id.</translation>
    </message>
    <message>
        <source>id</source>
        <translation>id</translation>
    </message>
    <message>
        <source>Only sessions still active.</source>
        <translation>Uniquement les sessions encore actives.</translation>
    </message>
    <message>
        <source>Only sessions that have ended.</source>
        <translation>Uniquement les sessions terminées.</translation>
    </message>
    <message>
        <source>Only sessions started at or after this time: ISO 8601 (2025-10-18T09:30:00Z; UTC when no offset is given) or a span back from now (30m, 2h, 3d, 1w).</source>
        <translation>Uniquement les sessions démarrées à partir de cette date&#xa0;: ISO 8601 (2025-10-18T09:30:00Z&#xa0;; UTC si aucun décalage n&apos;est indiqué) ou une durée avant maintenant (30m, 2h, 3d, 1w).</translation>
    </message>
    <message>
        <source>time</source>
        <translation>date</translation>
    </message>
</context>
<context>
    <name>voxtrack::client</name>
    <message>
        <source>%1: %2 (limit %3 %4)</source>
        <translation>%1&#xa0;: %2 (limite %3 %4)</translation>
    </message>
    <message>
        <source>session %1</source>
        <translation>session %1</translation>
    </message>
    <message>
        <source>expected &quot;%1&quot;, got &quot;%2&quot;</source>
        <translation>«&#xa0;%1&#xa0;» attendu, «&#xa0;%2&#xa0;» reçu</translation>
    </message>
    <message>
        <source>Could not write the report %1: %2.</source>
        <translation>Impossible d&apos;écrire le rapport %1&#xa0;: %2.</translation>
    </message>
    <message>
        <source>Could not create the report directory %1.</source>
        <translation>Impossible de créer le répertoire du rapport %1.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>défini</translation>
    </message>
    <message>
        <source>The message %1 was sent as voice, but its audio_url is NULL: the server did not store the audio.</source>
        <translation>Le message %1 a été envoyé en voix, mais son audio_url est NULL&#xa0;: le serveur n&apos;a pas stocké l&apos;audio.</translation>
    </message>
    <message>
        <source>an http URL</source>
        <translation>une URL http</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not an http URL (%2): the server must store where it serves the audio.</source>
        <translation>L&apos;audio_url du message %1 n&apos;est pas une URL http (%2)&#xa0;: le serveur doit stocker l&apos;adresse où il sert l&apos;audio.</translation>
    </message>
    <message>
        <source>Fetching the audio of the message %1 from %2 failed (%3): check that the server serves the audio it stored.</source>
        <translation>La récupération de l&apos;audio du message %1 depuis %2 a échoué (%3)&#xa0;: vérifiez que le serveur sert l&apos;audio qu&apos;il a stocké.</translation>
    </message>
    <message>
        <source>a WAV file</source>
        <translation>un fichier WAV</translation>
    </message>
    <message>
        <source>16000 Hz, 1 channel, 16 bits</source>
        <translation>16000 Hz, 1 canal, 16 bits</translation>
    </message>
    <message>
        <source>%1 Hz, %2 channel(s), %3 bits</source>
        <translation>%1 Hz, %2 canal/canaux, %3 bits</translation>
    </message>
    <message>
        <source>The audio of the message %1 is %2 Hz, %3 channel(s), %4 bits, but 16000 Hz mono 16-bit audio was sent: the server must store the PCM as it arrived.</source>
        <translation>L&apos;audio du message %1 est en %2 Hz, %3 canal/canaux, %4 bits, mais de l&apos;audio mono 16 bits à 16000 Hz a été envoyé&#xa0;: le serveur doit stocker le PCM tel qu&apos;il est arrivé.</translation>
    </message>
    <message>
        <source>The audio of the message %1 lasts %2 s, but %3 s were sent: audio was lost or added on the way.</source>
        <translation>L&apos;audio du message %1 dure %2 s, mais %3 s ont été envoyées&#xa0;: de l&apos;audio a été perdu ou ajouté en route.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::LatencyHistogram</name>
    <message>
        <source>The histogram data is not valid: %1.</source>
        <translation>Les données de l&apos;histogramme ne sont pas valides&#xa0;: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::RunReport</name>
    <message>
        <source>voxtrack drive: %1 against %2
</source>
        <translation>voxtrack drive&#xa0;: %1 sur %2
</translation>
    </message>
    <message>
        <source>started %1, ran %2 s%3
</source>
        <translation>démarré %1, durée %2 s%3
</translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation> (interrompu)</translation>
    </message>
    <message>
        <source>sessions: %1 planned, %2 started, %3 completed, %4 failed
</source>
        <translation>sessions&#xa0;: %1 prévues, %2 démarrées, %3 terminées, %4 en échec
</translation>
    </message>
    <message>
        <source>messages: %1 sent, %2 acknowledged, %3 persisted
</source>
        <translation>messages&#xa0;: %1 envoyés, %2 acquittés, %3 persistés
</translation>
    </message>
    <message>
        <source>latency (ms)</source>
        <translation>latence (ms)</translation>
    </message>
    <message>
        <source>count</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>max</source>
        <translation>max</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>moyenne</translation>
    </message>
    <message>
        <source>connect</source>
        <translation>connexion</translation>
    </message>
    <message>
        <source>ack</source>
        <translation>acquittement</translation>
    </message>
    <message>
        <source>reply</source>
        <translation>réponse</translation>
    </message>
    <message>
        <source>persisted</source>
        <translation>persistance</translation>
    </message>
    <message>
        <source>thresholds:</source>
        <translation>seuils&#xa0;:</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>RÉUSSI</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>ÉCHEC</translation>
    </message>
    <message>
        <source>verification: not run</source>
        <translation>vérification&#xa0;: non exécutée</translation>
    </message>
    <message>
        <source>verification: the database matches the conversations</source>
        <translation>vérification&#xa0;: la base de données correspond aux conversations</translation>
    </message>
    <message>
        <source>findings: %1</source>
        <translation>constats&#xa0;: %1</translation>
    </message>
    <message>
        <source>… and %1 more (see summary.json)</source>
        <translation>… et %1 de plus (voir summary.json)</translation>
    </message>
    <message>
        <source>errors by code:</source>
        <translation>erreurs par code&#xa0;:</translation>
    </message>
    <message>
        <source>PASSED</source>
        <translation>RÉUSSI</translation>
    </message>
    <message>
        <source>FAILED: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>ÉCHEC&#xa0;: %1 seuil(s) non respecté(s), %2 constat(s)</translation>
    </message>
    <message>
        <source>turn %1: %2</source>
        <translation>tour %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échec</translation>
    </message>
    <message>
        <source>verification was not run</source>
        <translation>la vérification n&apos;a pas été exécutée</translation>
    </message>
    <message>
        <source>%1 finding(s)</source>
        <translation>%1 constat(s)</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… et %1 de plus</translation>
    </message>
    <message>
        <source>throughput: %1 messages/s, %2 replies/s; peak concurrency %3 sessions
</source>
        <translation>débit&#xa0;: %1 messages/s, %2 réponses/s&#xa0;; concurrence maximale %3 sessions
</translation>
    </message>
    <message>
        <source>client: %1 thread(s), %2 s CPU (%3 µs per message), peak memory %4 MB
</source>
        <translation>client&#xa0;: %1 thread(s), %2 s de CPU (%3 µs par message), mémoire maximale %4 Mo
</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Scenario</name>
    <message>
        <source>the &quot;}&quot; at offset %1 closes no placeholder: write }} for a literal brace.</source>
        <translation>le «&#xa0;}&#xa0;» à la position %1 ne ferme aucun espace réservé&#xa0;: écrivez }} pour une accolade littérale.</translation>
    </message>
    <message>
        <source>the &quot;{&quot; at offset %1 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>le «&#xa0;{&#xa0;» à la position %1 n&apos;est pas fermé&#xa0;: terminez l&apos;espace réservé par «&#xa0;}&#xa0;», ou écrivez {{ pour une accolade littérale.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from %1 to %2</source>
        <translation>un nombre entier de millisecondes compris entre %1 et %2</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>un objet JSON</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1&#xa0;: l&apos;expression régulière n&apos;est pas valide (%2 à la position %3)&#xa0;: corrigez le motif.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: %3</source>
        <translation>%1&#xa0;: l&apos;espace réservé {%2} est inconnu&#xa0;: %3</translation>
    </message>
    <message>
        <source>use {n} for the session number, and {{ and }} for literal braces.</source>
        <translation>utilisez {n} pour le numéro de session, et {{ et }} pour des accolades littérales.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1, or a range [min, max] of two such numbers</source>
        <translation>un nombre entier de millisecondes compris entre 0 et %1, ou un intervalle [min, max] de deux tels nombres</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>un nombre entier de millisecondes compris entre 0 et %1</translation>
    </message>
    <message>
        <source>%1: the range [%2, %3] is inverted: write the shorter time first.</source>
        <translation>%1&#xa0;: l&apos;intervalle [%2, %3] est inversé&#xa0;: écrivez la durée la plus courte en premier.</translation>
    </message>
    <message>
        <source>an object with &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; or &quot;role&quot;</source>
        <translation>un objet avec «&#xa0;contains&#xa0;», «&#xa0;regex&#xa0;», «&#xa0;within_ms&#xa0;» ou «&#xa0;role&#xa0;»</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>l&apos;une des valeurs %1</translation>
    </message>
    <message>
        <source>an object of names and regular expressions</source>
        <translation>un objet de noms et d&apos;expressions régulières</translation>
    </message>
    <message>
        <source>%1: the name is not usable as a placeholder: start with a letter and use only letters, digits and &quot;_&quot;.</source>
        <translation>%1&#xa0;: le nom n&apos;est pas utilisable comme espace réservé&#xa0;: commencez par une lettre et n&apos;utilisez que des lettres, des chiffres et «&#xa0;_&#xa0;».</translation>
    </message>
    <message>
        <source>%1: the name is reserved for the placeholder {%2}: choose another name.</source>
        <translation>%1&#xa0;: le nom est réservé pour l&apos;espace réservé {%2}&#xa0;: choisissez un autre nom.</translation>
    </message>
    <message>
        <source>an object with &quot;say&quot;</source>
        <translation>un objet avec «&#xa0;say&#xa0;»</translation>
    </message>
    <message>
        <source>use {n} or {user_id}, capture the value in an earlier turn&apos;s &quot;capture&quot;, and write {{ and }} for literal braces.</source>
        <translation>utilisez {n} ou {user_id}, capturez la valeur dans le «&#xa0;capture&#xa0;» d&apos;un tour précédent, et écrivez {{ et }} pour des accolades littérales.</translation>
    </message>
    <message>
        <source>use {n}, {user_id} or a value captured by an earlier turn (%1), and write {{ and }} for literal braces.</source>
        <translation>utilisez {n}, {user_id} ou une valeur capturée par un tour précédent (%1), et écrivez {{ et }} pour des accolades littérales.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is captured only by this turn or a later one: capture it in an earlier turn, since a value can be used only after the reply it comes from.</source>
        <translation>%1&#xa0;: l&apos;espace réservé {%2} n&apos;est capturé que par ce tour ou un tour ultérieur&#xa0;: capturez-le dans un tour précédent, car une valeur ne peut être utilisée qu&apos;après la réponse dont elle provient.</translation>
    </message>
    <message>
        <source>%1: only user turns get a reply, and this turn&apos;s role is &quot;%2&quot;: remove it, or make the turn a user turn.</source>
        <translation>%1&#xa0;: seuls les tours user reçoivent une réponse, et le rôle de ce tour est «&#xa0;%2&#xa0;»&#xa0;: supprimez-le, ou faites-en un tour user.</translation>
    </message>
    <message>
        <source>a whole number of times from %1 to %2</source>
        <translation>un nombre entier de fois compris entre %1 et %2</translation>
    </message>
    <message>
        <source>an object of limits</source>
        <translation>un objet de limites</translation>
    </message>
    <message>
        <source>a number of milliseconds above 0 and at most %1</source>
        <translation>un nombre de millisecondes supérieur à 0 et au plus égal à %1</translation>
    </message>
    <message>
        <source>a number from 0 to 1 (a fraction: 0.01 is 1 %)</source>
        <translation>un nombre compris entre 0 et 1 (une fraction&#xa0;: 0.01 vaut 1 %)</translation>
    </message>
    <message>
        <source>%1.p99_reply_ms: the limit %2 is below p95_reply_ms (%3), so the two look swapped: make p99_reply_ms at least p95_reply_ms.</source>
        <translation>%1.p99_reply_ms&#xa0;: la limite %2 est inférieure à p95_reply_ms (%3), les deux semblent donc inversées&#xa0;: faites en sorte que p99_reply_ms soit au moins égal à p95_reply_ms.</translation>
    </message>
    <message>
        <source>an object with &quot;per_second&quot;</source>
        <translation>un objet avec «&#xa0;per_second&#xa0;»</translation>
    </message>
    <message>
        <source>a number of sessions per second above 0 and at most %1</source>
        <translation>un nombre de sessions par seconde supérieur à 0 et au plus égal à %1</translation>
    </message>
    <message>
        <source>a whole number of seconds from %1 to %2</source>
        <translation>un nombre entier de secondes compris entre %1 et %2</translation>
    </message>
    <message>
        <source>The scenario is not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>Le scénario n&apos;est pas du JSON valide (%1 à l&apos;octet %2)&#xa0;: corrigez le fichier à cet endroit.</translation>
    </message>
    <message>
        <source>The scenario is an array, not a JSON object: write one object with &quot;version&quot; and &quot;turns&quot;.</source>
        <translation>Le scénario est un tableau, et non un objet JSON&#xa0;: écrivez un seul objet avec «&#xa0;version&#xa0;» et «&#xa0;turns&#xa0;».</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write a scenario of version 1, as docs/scenarios.md describes.</source>
        <translation>version&#xa0;: la version %1 n&apos;est pas prise en charge&#xa0;: écrivez un scénario en version 1, comme le décrit docs/scenarios.md.</translation>
    </message>
    <message>
        <source>a whole number of sessions from %1 to %2</source>
        <translation>un nombre entier de sessions compris entre %1 et %2</translation>
    </message>
    <message>
        <source>concurrency: %1 sessions at once is more than the %2 sessions of the run: lower &quot;concurrency&quot; or raise &quot;sessions&quot;.</source>
        <translation>concurrency&#xa0;: %1 sessions simultanées dépassent les %2 sessions de l&apos;exécution&#xa0;: réduisez «&#xa0;concurrency&#xa0;» ou augmentez «&#xa0;sessions&#xa0;».</translation>
    </message>
    <message>
        <source>use {n} for the session number or {uuid} for a random UUID, and {{ and }} for literal braces.</source>
        <translation>utilisez {n} pour le numéro de session ou {uuid} pour un UUID aléatoire, et {{ et }} pour des accolades littérales.</translation>
    </message>
    <message>
        <source>an array of at least one turn</source>
        <translation>un tableau d&apos;au moins un tour</translation>
    </message>
    <message>
        <source>turns: the array is empty: add at least one turn with &quot;say&quot;.</source>
        <translation>turns&#xa0;: le tableau est vide&#xa0;: ajoutez au moins un tour avec «&#xa0;say&#xa0;».</translation>
    </message>
    <message>
        <source>turns: %1 turns are more than %2: split the conversation or use &quot;repeat&quot;.</source>
        <translation>turns&#xa0;: %1 tours dépassent la limite de %2&#xa0;: scindez la conversation ou utilisez «&#xa0;repeat&#xa0;».</translation>
    </message>
    <message>
        <source>The scenario file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>Le fichier de scénario %1 ne peut pas être lu (%2)&#xa0;: vérifiez le chemin et ses droits d&apos;accès.</translation>
    </message>
    <message>
        <source>%1: espeak-ng has no voice &quot;%2&quot;: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>%1&#xa0;: espeak-ng n&apos;a pas de voix «&#xa0;%2&#xa0;»&#xa0;: utilisez-en une comme en-us, en-gb ou de (espeak-ng --voices les liste toutes).</translation>
    </message>
    <message>
        <source>a whole number of words per minute from %1 to %2</source>
        <translation>un nombre entier de mots par minute de %1 à %2</translation>
    </message>
    <message>
        <source>true, false or an object with &quot;name&quot; and &quot;rate&quot;</source>
        <translation>true, false ou un objet avec «&#xa0;name&#xa0;» et «&#xa0;rate&#xa0;»</translation>
    </message>
    <message>
        <source>&quot;realtime&quot; or &quot;fast&quot;</source>
        <translation>«&#xa0;realtime&#xa0;» ou «&#xa0;fast&#xa0;»</translation>
    </message>
    <message>
        <source>%1: only user turns can be spoken, and this turn&apos;s role is &quot;%2&quot;: remove &quot;voice&quot;, or make the turn a user turn.</source>
        <translation>%1&#xa0;: seuls les tours de l&apos;utilisateur peuvent être parlés, et le rôle de ce tour est «&#xa0;%2&#xa0;»&#xa0;: retirez «&#xa0;voice&#xa0;» ou faites-en un tour de l&apos;utilisateur.</translation>
    </message>
    <message>
        <source>%1: a spoken turn carries no metadata (audio.end has none): remove &quot;metadata&quot; or &quot;voice&quot;.</source>
        <translation>%1&#xa0;: un tour parlé ne porte pas de métadonnées (audio.end n&apos;en a pas)&#xa0;: retirez «&#xa0;metadata&#xa0;» ou «&#xa0;voice&#xa0;».</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::SessionDriver</name>
    <message>
        <source>The server ended the session before its turns were over (reason %1).</source>
        <translation>Le serveur a terminé la session avant la fin de ses tours (motif %1).</translation>
    </message>
    <message>
        <source>The reply came from the agent, not from the expected role &quot;%1&quot;.</source>
        <translation>La réponse provient de l&apos;agent, et non du rôle attendu «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>The reply took %1 ms, more than the expected %2 ms.</source>
        <translation>La réponse a pris %1 ms, plus que les %2 ms attendues.</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not contain &quot;%2&quot;.</source>
        <translation>La réponse «&#xa0;%1&#xa0;» ne contient pas «&#xa0;%2&#xa0;».</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not match /%2/.</source>
        <translation>La réponse «&#xa0;%1&#xa0;» ne correspond pas à /%2/.</translation>
    </message>
    <message>
        <source>No session.started within %1 ms of connecting.</source>
        <translation>Aucun session.started dans les %1 ms suivant la connexion.</translation>
    </message>
    <message>
        <source>No reply within %1 ms (the run&apos;s reply timeout).</source>
        <translation>Aucune réponse dans les %1 ms (délai de réponse de l&apos;exécution).</translation>
    </message>
    <message>
        <source>No message.ack within %1 ms (the run&apos;s reply timeout).</source>
        <translation>Aucun message.ack dans les %1 ms (délai de réponse de l&apos;exécution).</translation>
    </message>
    <message>
        <source>No session.ended within %1 ms of session.end.</source>
        <translation>Aucun session.ended dans les %1 ms suivant session.end.</translation>
    </message>
    <message>
        <source>The server did not close the connection within %1 ms of session.ended.</source>
        <translation>Le serveur n&apos;a pas fermé la connexion dans les %1 ms suivant session.ended.</translation>
    </message>
    <message>
        <source>The connection closed while a reply was awaited.</source>
        <translation>La connexion s&apos;est fermée pendant l&apos;attente d&apos;une réponse.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Verifier</name>
    <message>
        <source>The session %1 is not in conversation_sessions: the session start was never stored.</source>
        <translation>La session %1 ne figure pas dans conversation_sessions&#xa0;: le début de la session n&apos;a jamais été enregistré.</translation>
    </message>
    <message>
        <source>The session is stored for user %1, but the server told the client %2.</source>
        <translation>La session est enregistrée pour l&apos;utilisateur %1, mais le serveur a indiqué %2 au client.</translation>
    </message>
    <message>
        <source>The session&apos;s metadata is not what the client sent.</source>
        <translation>Les métadonnées de la session ne correspondent pas à ce que le client a envoyé.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>défini</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session has no ended_at.</source>
        <translation>Le client a reçu session.ended, mais la session n&apos;a pas de ended_at.</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session is still active.</source>
        <translation>Le client a reçu session.ended, mais la session est toujours active.</translation>
    </message>
    <message>
        <source>The ended session has no duration_seconds.</source>
        <translation>La session terminée n&apos;a pas de duration_seconds.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration session.ended reported by more than %1 s.</source>
        <translation>duration_seconds diffère de plus de %1 s de la durée indiquée par session.ended.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration the client observed by more than %1 s.</source>
        <translation>duration_seconds diffère de plus de %1 s de la durée observée par le client.</translation>
    </message>
    <message>
        <source>duration_seconds differs from ended_at - started_at by more than %1 s.</source>
        <translation>duration_seconds diffère de plus de %1 s de ended_at - started_at.</translation>
    </message>
    <message>
        <source>message_count is %1, but session.ended reported %2 messages.</source>
        <translation>message_count vaut %1, mais session.ended a indiqué %2 messages.</translation>
    </message>
    <message>
        <source>end_reason is &quot;%1&quot;, but session.ended reported &quot;%2&quot;.</source>
        <translation>end_reason vaut «&#xa0;%1&#xa0;», mais session.ended a indiqué «&#xa0;%2&#xa0;».</translation>
    </message>
    <message>
        <source>The message %1 is stored %2 times: a retried write was not deduplicated.</source>
        <translation>Le message %1 est enregistré %2 fois&#xa0;: une écriture réessayée n&apos;a pas été dédoublonnée.</translation>
    </message>
    <message>
        <source>The message at seq %1 (%2) was acknowledged but is not in conversation_messages.</source>
        <translation>Le message de seq %1 (%2) a été acquitté mais ne figure pas dans conversation_messages.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;assistant&quot;: agent replies must be stored as &quot;agent&quot;.</source>
        <translation>Le message %1 est enregistré avec le rôle &quot;assistant&quot;&#xa0;: les réponses de l&apos;agent doivent être enregistrées avec &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;%2&quot; instead of &quot;%3&quot;.</source>
        <translation>Le message %1 est enregistré avec le rôle «&#xa0;%2&#xa0;» au lieu de «&#xa0;%3&#xa0;».</translation>
    </message>
    <message>
        <source>The content of the message %1 is not what was exchanged.</source>
        <translation>Le contenu du message %1 ne correspond pas à ce qui a été échangé.</translation>
    </message>
    <message>
        <source>The metadata of the message %1 is not what was exchanged.</source>
        <translation>Les métadonnées du message %1 ne correspondent pas à ce qui a été échangé.</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not what was exchanged.</source>
        <translation>L&apos;audio_url du message %1 ne correspond pas à ce qui a été échangé.</translation>
    </message>
    <message>
        <source>The message %1 is stored at seq %2, but was exchanged at seq %3.</source>
        <translation>Le message %1 est enregistré avec seq %2, mais a été échangé avec seq %3.</translation>
    </message>
    <message>
        <source>The message row %1 (seq %2, role &quot;%3&quot;) was never exchanged with the client.</source>
        <translation>La ligne de message %1 (seq %2, rôle «&#xa0;%3&#xa0;») n&apos;a jamais été échangée avec le client.</translation>
    </message>
    <message numerus="yes">
        <source>%n byte(s)</source>
        <translation>
            <numerusform>%n octet</numerusform>
            <numerusform>%n octets</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VerifyWorker</name>
    <message>
        <source>The session could not be verified: %1 [%2]</source>
        <translation>Impossible de vérifier la session&#xa0;: %1 [%2]</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VoiceClient</name>
    <message>
        <source>Could not connect to %1 (%2): check the server URL and that the server runs.</source>
        <translation>Impossible de se connecter à %1 (%2)&#xa0;: vérifiez l&apos;URL du serveur et que le serveur est en cours d&apos;exécution.</translation>
    </message>
    <message>
        <source>The server closed the connection before the session ended (code %1: %2).</source>
        <translation>Le serveur a fermé la connexion avant la fin de la session (code %1&#xa0;: %2).</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::BubbleDelegate</name>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Système</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>(no role)</source>
        <translation>(aucun rôle)</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the agent&apos;s role is &quot;agent&quot;.</source>
        <translation>La base de données n&apos;autorise pas le rôle «&#xa0;%1&#xa0;»&#xa0;: le rôle de l&apos;agent est &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the allowed roles are %2.</source>
        <translation>La base de données n&apos;autorise pas le rôle «&#xa0;%1&#xa0;»&#xa0;: les rôles autorisés sont %2.</translation>
    </message>
    <message>
        <source>Stop playing this message (Space)</source>
        <translation>Arrêter la lecture de ce message (Espace)</translation>
    </message>
    <message>
        <source>Play this message&apos;s audio (Space)</source>
        <translation>Lire l&apos;audio de ce message (Espace)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::CallPlayer</name>
    <message>
        <source>There is no audio output device: connect speakers or headphones to play recordings.</source>
        <translation>Aucun périphérique de sortie audio&#xa0;: branchez des haut-parleurs ou un casque pour lire les enregistrements.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be played (%2): check the system&apos;s sound settings and try again.</source>
        <translation>L&apos;enregistrement à %1 n&apos;a pas pu être lu (%2)&#xa0;: vérifiez les réglages du son du système et réessayez.</translation>
    </message>
    <message>
        <source>The message&apos;s audio_url &quot;%1&quot; is not a URL: it should be like http://host:port/audio/&lt;id&gt;.wav.</source>
        <translation>L&apos;audio_url «&#xa0;%1&#xa0;» du message n&apos;est pas une URL&#xa0;: elle devrait ressembler à http://host:port/audio/&lt;id&gt;.wav.</translation>
    </message>
    <message>
        <source>There is no recording at %1 (HTTP 404): check that the app is connected to the server that recorded this call.</source>
        <translation>Il n&apos;y a pas d&apos;enregistrement à %1 (HTTP 404)&#xa0;: vérifiez que l&apos;application est connectée au serveur qui a enregistré cet appel.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be fetched (%2): check that voxtrackd is running and try again.</source>
        <translation>L&apos;enregistrement à %1 n&apos;a pas pu être récupéré (%2)&#xa0;: vérifiez que voxtrackd tourne et réessayez.</translation>
    </message>
    <message>
        <source>The recording at %1 is not a WAV file: check that the message&apos;s audio_url points at voxtrackd&apos;s /audio/ path.</source>
        <translation>L&apos;enregistrement à %1 n&apos;est pas un fichier WAV&#xa0;: vérifiez que l&apos;audio_url du message pointe vers le chemin /audio/ de voxtrackd.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be kept for playing (%2): free some space in the temporary directory and try again.</source>
        <translation>L&apos;enregistrement à %1 n&apos;a pas pu être conservé pour la lecture (%2)&#xa0;: libérez de l&apos;espace dans le répertoire temporaire et réessayez.</translation>
    </message>
    <message>
        <source>error %1</source>
        <translation>erreur %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionBar</name>
    <message>
        <source>%1 has no conversation tables: run voxtrack-cli migrate --db %1 to create them, or choose a conversation database.</source>
        <translation>%1 ne contient pas de tables de conversations&#xa0;: exécutez voxtrack-cli migrate --db %1 pour les créer, ou choisissez une base de données de conversations.</translation>
    </message>
    <message numerus="yes">
        <source>SQLite · %1 · %Ln session(s)</source>
        <translation>
            <numerusform>SQLite · %1 · %Ln session</numerusform>
            <numerusform>SQLite · %1 · %Ln sessions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>PostgreSQL %1 · %Ln session(s)</source>
        <translation>
            <numerusform>PostgreSQL %1 · %Ln session</numerusform>
            <numerusform>PostgreSQL %1 · %Ln sessions</numerusform>
        </translation>
    </message>
    <message>
        <source>Invalid URL</source>
        <translation>URL non valide</translation>
    </message>
    <message>
        <source>Login refused</source>
        <translation>Connexion refusée</translation>
    </message>
    <message>
        <source>No such database</source>
        <translation>Base de données inexistante</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>Injoignable</translation>
    </message>
    <message>
        <source>TLS failed</source>
        <translation>Échec TLS</translation>
    </message>
    <message>
        <source>No SQL driver</source>
        <translation>Aucun pilote SQL</translation>
    </message>
    <message>
        <source>No conversation tables</source>
        <translation>Aucune table de conversations</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Refusé</translation>
    </message>
    <message>
        <source>Unsaved connection</source>
        <translation>Connexion non enregistrée</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Non connecté</translation>
    </message>
    <message>
        <source>Not connected to a database.</source>
        <translation>Non connecté à une base de données.</translation>
    </message>
    <message>
        <source>Not connected to a server.</source>
        <translation>Non connecté à un serveur.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>Waiting for the system keychain to give the profile&apos;s password.</source>
        <translation>En attente du mot de passe du profil depuis le trousseau du système.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;.</source>
        <translation>Profil «&#xa0;%1&#xa0;» enregistré.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;; its password is in the system keychain.</source>
        <translation>Profil «&#xa0;%1&#xa0;» enregistré&#xa0;; son mot de passe se trouve dans le trousseau du système.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot; without its password.</source>
        <translation>Profil «&#xa0;%1&#xa0;» enregistré sans son mot de passe.</translation>
    </message>
    <message>
        <source>the password was not saved</source>
        <translation>le mot de passe n&apos;a pas été enregistré</translation>
    </message>
    <message>
        <source>Choose the profile to delete first.</source>
        <translation>Choisissez d&apos;abord le profil à supprimer.</translation>
    </message>
    <message>
        <source>There is no saved profile &quot;%1&quot; to delete.</source>
        <translation>Il n&apos;existe aucun profil enregistré «&#xa0;%1&#xa0;» à supprimer.</translation>
    </message>
    <message>
        <source>Deleted the profile &quot;%1&quot;.</source>
        <translation>Profil «&#xa0;%1&#xa0;» supprimé.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Connexion à %1…</translation>
    </message>
    <message>
        <source>Connected to %1: %2.</source>
        <translation>Connecté à %1&#xa0;: %2.</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Aucun serveur</translation>
    </message>
    <message>
        <source>No server: the inspector works with the database alone; give a server URL to drive conversations.</source>
        <translation>Aucun serveur&#xa0;: l&apos;inspecteur fonctionne avec la base de données seule&#xa0;; indiquez une URL de serveur pour piloter des conversations.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not valid: write it as ws://host:port/v1/conversation or http://host:port.</source>
        <translation>L&apos;URL de serveur «&#xa0;%1&#xa0;» n&apos;est pas valide&#xa0;: écrivez-la sous la forme ws://hôte:port/v1/conversation ou http://hôte:port.</translation>
    </message>
    <message>
        <source>Asking %1 for its health…</source>
        <translation>Interrogation de l&apos;état de santé de %1…</translation>
    </message>
    <message>
        <source>Not voxtrackd</source>
        <translation>Pas voxtrackd</translation>
    </message>
    <message>
        <source>%1 answered (HTTP %2), but not as voxtrackd does: check that the server URL points at voxtrackd.</source>
        <translation>%1 a répondu (HTTP %2), mais pas comme le fait voxtrackd&#xa0;: vérifiez que l&apos;URL du serveur pointe vers voxtrackd.</translation>
    </message>
    <message>
        <source>Nothing answers at %1: start voxtrackd there (voxtrackd --listen %1), or clear the server URL to work with the database alone.</source>
        <translation>Rien ne répond à l&apos;adresse %1&#xa0;: démarrez voxtrackd à cette adresse (voxtrackd --listen %1), ou videz l&apos;URL du serveur pour travailler avec la base de données seule.</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>Aucune réponse</translation>
    </message>
    <message>
        <source>The server at %1 did not answer within %2 seconds: check the address, and that voxtrackd is running there.</source>
        <translation>Le serveur à l&apos;adresse %1 n&apos;a pas répondu dans les %2 secondes&#xa0;: vérifiez l&apos;adresse et que voxtrackd y est en cours d&apos;exécution.</translation>
    </message>
    <message>
        <source>Unknown host</source>
        <translation>Hôte inconnu</translation>
    </message>
    <message>
        <source>The server host &quot;%1&quot; is unknown: check its name in the server URL.</source>
        <translation>L&apos;hôte du serveur «&#xa0;%1&#xa0;» est inconnu&#xa0;: vérifiez son nom dans l&apos;URL du serveur.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed (%2): check the server&apos;s certificate, or use ws:// for a server without TLS.</source>
        <translation>La négociation TLS avec %1 a échoué (%2)&#xa0;: vérifiez le certificat du serveur, ou utilisez ws:// pour un serveur sans TLS.</translation>
    </message>
    <message>
        <source>Could not reach the server at %1 (%2): check the server URL, and that voxtrackd is running there.</source>
        <translation>Impossible de joindre le serveur à l&apos;adresse %1 (%2)&#xa0;: vérifiez l&apos;URL du serveur et que voxtrackd y est en cours d&apos;exécution.</translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 · %Ln live session(s)</source>
        <translation>
            <numerusform>voxtrackd %1 · %Ln session en direct</numerusform>
            <numerusform>voxtrackd %1 · %Ln sessions en direct</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 at %2 is up, with its database: %Ln live session(s).</source>
        <translation>
            <numerusform>voxtrackd %1 à l&apos;adresse %2 est opérationnel, avec sa base de données&#xa0;: %Ln session en direct.</numerusform>
            <numerusform>voxtrackd %1 à l&apos;adresse %2 est opérationnel, avec sa base de données&#xa0;: %Ln sessions en direct.</numerusform>
        </translation>
    </message>
    <message>
        <source>voxtrackd %1 · degraded</source>
        <translation>voxtrackd %1 · dégradé</translation>
    </message>
    <message>
        <source>voxtrackd %1 at %2 answers, but has not reached its database (yet): it keeps what it is sent in its journal until the database takes it.</source>
        <translation>voxtrackd %1 à l&apos;adresse %2 répond, mais n&apos;a pas (encore) atteint sa base de données&#xa0;: il conserve ce qu&apos;il reçoit dans son journal jusqu&apos;à ce que la base de données le prenne en charge.</translation>
    </message>
    <message>
        <source>the profile&apos;s password was not read</source>
        <translation>le mot de passe du profil n&apos;a pas été lu</translation>
    </message>
    <message>
        <source>The system keychain refused access: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>Le trousseau du système a refusé l&apos;accès&#xa0;: %1&#xa0;; placez-le dans ~/.pgpass ou PGPASSWORD.</translation>
    </message>
    <message>
        <source>No system keychain: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>Aucun trousseau système&#xa0;: %1&#xa0;; placez-le dans ~/.pgpass ou PGPASSWORD.</translation>
    </message>
    <message>
        <source>voxtrackd at %1 stopped answering: %2 The connection is kept; it recovers when the server answers again.</source>
        <translation>voxtrackd à %1 ne répond plus&#xa0;: %2 La connexion est conservée&#xa0;; elle se rétablit quand le serveur répond de nouveau.</translation>
    </message>
    <message>
        <source>Not answering</source>
        <translation>Ne répond pas</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionProfiles</name>
    <message>
        <source>The profile has no name: type one in the profile box first.</source>
        <translation>Le profil n&apos;a pas de nom&#xa0;: saisissez-en d&apos;abord un dans le champ du profil.</translation>
    </message>
    <message>
        <source>The profile name &quot;%1&quot; cannot hold / or \ or start or end with a space: choose another name.</source>
        <translation>Le nom de profil «&#xa0;%1&#xa0;» ne peut pas contenir / ou \, ni commencer ou se terminer par une espace&#xa0;: choisissez un autre nom.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConversationPage</name>
    <message>
        <source>the client closed it</source>
        <translation>le client l&apos;a fermée</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>délai dépassé</translation>
    </message>
    <message>
        <source>the server shut down</source>
        <translation>le serveur s&apos;est arrêté</translation>
    </message>
    <message>
        <source>closed after a crash</source>
        <translation>fermée après un plantage</translation>
    </message>
    <message>
        <source>object</source>
        <translation>objet</translation>
    </message>
    <message>
        <source>array</source>
        <translation>tableau</translation>
    </message>
    <message>
        <source>string</source>
        <translation>chaîne</translation>
    </message>
    <message>
        <source>number</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>boolean</source>
        <translation>booléen</translation>
    </message>
    <message>
        <source>null</source>
        <translation>null</translation>
    </message>
    <message>
        <source>Copy as text</source>
        <translation>Copier en tant que texte</translation>
    </message>
    <message>
        <source>Copy message</source>
        <translation>Copier le message</translation>
    </message>
    <message>
        <source>Copy the whole transcript as text (%1)</source>
        <translation>Copier toute la transcription en tant que texte (%1)</translation>
    </message>
    <message>
        <source>Copy the selected message&apos;s text (%1)</source>
        <translation>Copier le texte du message sélectionné (%1)</translation>
    </message>
    <message>
        <source>Not in this database</source>
        <translation>Absente de cette base de données</translation>
    </message>
    <message>
        <source>Could not be read</source>
        <translation>Lecture impossible</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Aucune base de données</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>not yet</source>
        <translation>pas encore</translation>
    </message>
    <message>
        <source>%1 so far</source>
        <translation>%1 jusqu&apos;à présent</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Terminée</translation>
    </message>
    <message>
        <source>Ended: %1</source>
        <translation>Terminée&#xa0;: %1</translation>
    </message>
    <message>
        <source>Session metadata: none</source>
        <translation>Métadonnées de la session&#xa0;: aucune</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Métadonnées de la session</translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n clé</numerusform>
            <numerusform>%n clés</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n élément</numerusform>
            <numerusform>%n éléments</numerusform>
        </translation>
    </message>
    <message>
        <source>There is no transcript to copy: select a session with messages.</source>
        <translation>Il n&apos;y a aucune transcription à copier&#xa0;: sélectionnez une session contenant des messages.</translation>
    </message>
    <message numerus="yes">
        <source>Copied the transcript (%n message(s)) to the clipboard.</source>
        <translation>
            <numerusform>Transcription (%n message) copiée dans le presse-papiers.</numerusform>
            <numerusform>Transcription (%n messages) copiée dans le presse-papiers.</numerusform>
        </translation>
    </message>
    <message>
        <source>No message is selected: click a bubble first.</source>
        <translation>Aucun message n&apos;est sélectionné&#xa0;: cliquez d&apos;abord sur une bulle.</translation>
    </message>
    <message>
        <source>Copied the message to the clipboard.</source>
        <translation>Message copié dans le presse-papiers.</translation>
    </message>
    <message>
        <source>Play call</source>
        <translation>Lire l&apos;appel</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Play message</source>
        <translation>Lire le message</translation>
    </message>
    <message>
        <source>Stop playing (%1)</source>
        <translation>Arrêter la lecture (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio: only messages with an audio_url can be played.</source>
        <translation>Cette conversation n&apos;a pas d&apos;audio enregistré&#xa0;: seuls les messages avec une audio_url peuvent être lus.</translation>
    </message>
    <message>
        <source>Play every recorded message of the call in order (%1)</source>
        <translation>Lire dans l&apos;ordre chaque message enregistré de l&apos;appel (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio.</source>
        <translation>Cette conversation n&apos;a pas d&apos;audio enregistré.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::DashboardPage</name>
    <message>
        <source>per minute</source>
        <translation>par minute</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>par heure</translation>
    </message>
    <message>
        <source>per day</source>
        <translation>par jour</translation>
    </message>
    <message>
        <source>per week</source>
        <translation>par semaine</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>Could not write the chart to %1: choose a folder you can write to and export again.</source>
        <translation>Impossible d&apos;écrire le graphique dans %1&#xa0;: choisissez un dossier accessible en écriture et exportez à nouveau.</translation>
    </message>
    <message>
        <source>Chart saved to %1.</source>
        <translation>Graphique enregistré dans %1.</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>Exporter en PNG…</translation>
    </message>
    <message>
        <source>Save this chart as a PNG image</source>
        <translation>Enregistrer ce graphique en tant qu&apos;image PNG</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sessions</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrées</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Actives</translation>
    </message>
    <message>
        <source>Session durations</source>
        <translation>Durées des sessions</translation>
    </message>
    <message>
        <source>Ended sessions</source>
        <translation>Sessions terminées</translation>
    </message>
    <message>
        <source>Messages by role</source>
        <translation>Messages par rôle</translation>
    </message>
    <message>
        <source>Milliseconds</source>
        <translation>Millisecondes</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Réponses</translation>
    </message>
    <message>
        <source>@value ms</source>
        <translation>@value ms</translation>
    </message>
    <message>
        <source>Switch between the latency percentiles and the replies per latency range</source>
        <translation>Basculer entre les centiles de latence et les réponses par tranche de latence</translation>
    </message>
    <message numerus="yes">
        <source>Updated %1 · %Ln session(s)</source>
        <translation>
            <numerusform>Mis à jour %1 · %Ln session</numerusform>
            <numerusform>Mis à jour %1 · %Ln sessions</numerusform>
        </translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Aucune base de données</translation>
    </message>
    <message>
        <source>No statistics</source>
        <translation>Aucune statistique</translation>
    </message>
    <message>
        <source>No sessions yet</source>
        <translation>Aucune session pour l&apos;instant</translation>
    </message>
    <message>
        <source>No sessions in this range</source>
        <translation>Aucune session dans cette période</translation>
    </message>
    <message>
        <source>Sessions over time</source>
        <translation>Sessions au fil du temps</translation>
    </message>
    <message>
        <source>Sessions over time, %1</source>
        <translation>Sessions au fil du temps, %1</translation>
    </message>
    <message>
        <source>Local time</source>
        <translation>Heure locale</translation>
    </message>
    <message>
        <source>No ended sessions yet</source>
        <translation>Aucune session terminée pour l&apos;instant</translation>
    </message>
    <message>
        <source>%1 · %2 (%3)</source>
        <translation>%1 · %2 (%3)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln message(s) have a role the schema does not allow: %1</source>
        <translation>
            <numerusform>%Ln message a un rôle que le schéma n&apos;autorise pas&#xa0;: %1</numerusform>
            <numerusform>%Ln messages ont un rôle que le schéma n&apos;autorise pas&#xa0;: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Aucun message pour l&apos;instant</translation>
    </message>
    <message>
        <source>Reply latency distribution</source>
        <translation>Distribution de la latence des réponses</translation>
    </message>
    <message>
        <source>Reply latency percentiles</source>
        <translation>Centiles de latence des réponses</translation>
    </message>
    <message>
        <source>Show percentiles</source>
        <translation>Afficher les centiles</translation>
    </message>
    <message>
        <source>Show distribution</source>
        <translation>Afficher la distribution</translation>
    </message>
    <message>
        <source>No agent replies with a latency yet</source>
        <translation>Aucune réponse de l&apos;agent avec une latence pour l&apos;instant</translation>
    </message>
    <message>
        <source>Export Chart</source>
        <translation>Exporter le graphique</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>Images PNG (*.png)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::Demo</name>
    <message>
        <source>Could not create the data directory %1: check its parent is writable, or set XDG_DATA_HOME.</source>
        <translation>Impossible de créer le répertoire de données %1&#xa0;: vérifiez que son répertoire parent est accessible en écriture, ou définissez XDG_DATA_HOME.</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>Démo</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::HealthPage</name>
    <message>
        <source>%1, %2, %3, %4</source>
        <translation>%1, %2, %3, %4</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n erreur</numerusform>
            <numerusform>%n erreurs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s)</source>
        <translation>
            <numerusform>%n avertissement</numerusform>
            <numerusform>%n avertissements</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n note(s)</source>
        <translation>
            <numerusform>%n remarque</numerusform>
            <numerusform>%n remarques</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n not checked</source>
        <translation>
            <numerusform>%n non vérifiée</numerusform>
            <numerusform>%n non vérifiées</numerusform>
        </translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>Vérification de %1…</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Vérification…</translation>
    </message>
    <message>
        <source>Checked %1 (%2, schema version %3) in %4 ms.</source>
        <translation>%1 vérifiée (%2, version %3 du schéma) en %4 ms.</translation>
    </message>
    <message>
        <source>The doctor could not run [%1].</source>
        <translation>Le diagnostic n&apos;a pas pu s&apos;exécuter [%1].</translation>
    </message>
    <message>
        <source>Not checked: %1.</source>
        <translation>Non vérifiée&#xa0;: %1.</translation>
    </message>
    <message>
        <source>Passed: nothing found.</source>
        <translation>Réussie&#xa0;: rien n&apos;a été trouvé.</translation>
    </message>
    <message>
        <source>%1 found, the first %2:</source>
        <translation>%1 occurrences trouvées, voici les %2 premières&#xa0;:</translation>
    </message>
    <message numerus="yes">
        <source>%n found:</source>
        <translation>
            <numerusform>%n occurrence trouvée&#xa0;:</numerusform>
            <numerusform>%n occurrences trouvées&#xa0;:</numerusform>
        </translation>
    </message>
    <message>
        <source>Hint:</source>
        <translation>Conseil&#xa0;:</translation>
    </message>
    <message>
        <source>Click a row to open its conversation.</source>
        <translation>Cliquez sur une ligne pour ouvrir sa conversation.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::LoadPanel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>msg/s</source>
        <translation>msg/s</translation>
    </message>
    <message>
        <source>messages sent per second</source>
        <translation>messages envoyés par seconde</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>reply p50</source>
        <translation>réponse p50</translation>
    </message>
    <message>
        <source>reply p95</source>
        <translation>réponse p95</translation>
    </message>
    <message>
        <source>reply p99</source>
        <translation>réponse p99</translation>
    </message>
    <message>
        <source>No run yet</source>
        <translation>Aucune exécution pour l&apos;instant</translation>
    </message>
    <message>
        <source>%.0f s</source>
        <comment>seconds since the start of the run on a chart&apos;s time axis</comment>
        <translation>%.0f s</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Open a Scenario</source>
        <translation>Ouvrir un scénario</translation>
    </message>
    <message>
        <source>Scenarios (*.json);;All files (*)</source>
        <translation>Scénarios (*.json);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database</source>
        <translation>Après chaque session, comparer ce qu&apos;elle a dit avec la base de données</translation>
    </message>
    <message>
        <source>Choose a database in the connection bar to compare each session with it</source>
        <translation>Choisissez une base de données dans la barre de connexion pour y comparer chaque session</translation>
    </message>
    <message>
        <source>Run the scenario against the server (%1)</source>
        <translation>Exécuter le scénario sur le serveur (%1)</translation>
    </message>
    <message>
        <source>Stop now</source>
        <translation>Arrêter immédiatement</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Start no more sessions; open ones finish the turn in flight and end (%1)</source>
        <translation>Ne plus démarrer de sessions&#xa0;; les sessions ouvertes terminent le tour en cours puis se ferment (%1)</translation>
    </message>
    <message>
        <source>Drop the open connections now (%1)</source>
        <translation>Abandonner immédiatement les connexions ouvertes (%1)</translation>
    </message>
    <message>
        <source>Connect to a server first.</source>
        <translation>Connectez-vous d&apos;abord à un serveur.</translation>
    </message>
    <message>
        <source>Choose a scenario that loads.</source>
        <translation>Choisissez un scénario qui se charge correctement.</translation>
    </message>
    <message>
        <source>The run could not start: %1</source>
        <translation>L&apos;exécution n&apos;a pas pu démarrer&#xa0;: %1</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m sessions</translation>
    </message>
    <message numerus="yes">
        <source>Running %1 with %n session(s).</source>
        <translation>
            <numerusform>Exécution de %1 avec %n session.</numerusform>
            <numerusform>Exécution de %1 avec %n sessions.</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopping: open sessions finish the turn in flight and end.</source>
        <translation>Arrêt en cours&#xa0;: les sessions ouvertes terminent le tour en cours puis se ferment.</translation>
    </message>
    <message>
        <source>Stopping now: the open connections are dropped.</source>
        <translation>Arrêt immédiat&#xa0;: les connexions ouvertes sont abandonnées.</translation>
    </message>
    <message>
        <source>The run is over: %1 of %2 session(s) completed, %3 failed.</source>
        <translation>L&apos;exécution est terminée&#xa0;: %1 session(s) sur %2 menée(s) à bien, %3 en échec.</translation>
    </message>
    <message>
        <source>%1 of %2 sessions done</source>
        <translation>%1 sessions sur %2 terminées</translation>
    </message>
    <message>
        <source>%1 open</source>
        <translation>%1 ouvertes</translation>
    </message>
    <message>
        <source>%1 msg/s</source>
        <translation>%1 msg/s</translation>
    </message>
    <message>
        <source>reply p95 %1</source>
        <translation>réponse p95 %1</translation>
    </message>
    <message>
        <source>reply p95 –</source>
        <translation>réponse p95 –</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n erreur</numerusform>
            <numerusform>%n erreurs</numerusform>
        </translation>
    </message>
    <message>
        <source>verifying %1</source>
        <translation>vérification de %1</translation>
    </message>
    <message>
        <source>stopping…</source>
        <translation>arrêt en cours…</translation>
    </message>
    <message>
        <source>The run could not take place: %1</source>
        <translation>L&apos;exécution n&apos;a pas pu avoir lieu&#xa0;: %1</translation>
    </message>
    <message>
        <source>Passed</source>
        <translation>Réussi</translation>
    </message>
    <message>
        <source>Failed: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>Échec&#xa0;: %1 seuil(s) non respecté(s), %2 constat(s)</translation>
    </message>
    <message>
        <source>(stopped early)</source>
        <translation>(arrêtée prématurément)</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sessions</translation>
    </message>
    <message>
        <source>%1 completed, %2 failed, of %3 planned (%4 started)</source>
        <translation>%1 terminées, %2 en échec, sur %3 prévues (%4 démarrées)</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Messages</translation>
    </message>
    <message>
        <source>%1 sent, %2 acknowledged, %3 persisted</source>
        <translation>%1 envoyés, %2 acquittés, %3 persistés</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Débit</translation>
    </message>
    <message>
        <source>%1 messages/s, %2 replies/s over %3 s, at most %4 sessions at once</source>
        <translation>%1 messages/s, %2 réponses/s sur %3 s, au plus %4 sessions simultanées</translation>
    </message>
    <message>
        <source>Reply latency</source>
        <translation>Latence des réponses</translation>
    </message>
    <message>
        <source>no replies</source>
        <translation>aucune réponse</translation>
    </message>
    <message>
        <source>p50 %1, p95 %2, p99 %3</source>
        <translation>p50 %1, p95 %2, p99 %3</translation>
    </message>
    <message>
        <source>%1: %2 (at most %3)</source>
        <translation>%1&#xa0;: %2 (au plus %3)</translation>
    </message>
    <message>
        <source>%1: %2 (at least %3)</source>
        <translation>%1&#xa0;: %2 (au moins %3)</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>réussi</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échec</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Seuils</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>Vérification</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>non exécutée</translation>
    </message>
    <message>
        <source>0 findings: the database matches the conversations</source>
        <translation>0 constat&#xa0;: la base de données correspond aux conversations</translation>
    </message>
    <message numerus="yes">
        <source>%n finding(s)</source>
        <translation>
            <numerusform>%n constat</numerusform>
            <numerusform>%n constats</numerusform>
        </translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… et %1 de plus</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>Erreurs</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::MainWindow</name>
    <message>
        <source>&amp;Health</source>
        <translation>Sa&amp;nté</translation>
    </message>
    <message>
        <source>About Voxtrack</source>
        <translation>À propos de Voxtrack</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>non disponible</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulateur</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sessions</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Conversation</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Tableau de bord</translation>
    </message>
    <message>
        <source>Activity</source>
        <translation>Activité</translation>
    </message>
    <message>
        <source>&amp;Activity Log</source>
        <translation>&amp;Journal d&apos;activité</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Aucun serveur</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Aucune base de données</translation>
    </message>
    <message>
        <source>Server %1</source>
        <translation>Serveur %1</translation>
    </message>
    <message>
        <source>Live: connecting…</source>
        <translation>En direct&#xa0;: connexion…</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>En direct</translation>
    </message>
    <message>
        <source>Live updates lost</source>
        <translation>Mises à jour en direct perdues</translation>
    </message>
    <message>
        <source>PostgreSQL %1</source>
        <translation>PostgreSQL %1</translation>
    </message>
    <message>
        <source>SQLite %1</source>
        <translation>SQLite %1</translation>
    </message>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>Voxtrack — %1</source>
        <translation>Voxtrack — %1</translation>
    </message>
    <message>
        <source>Quit Voxtrack?</source>
        <translation>Quitter Voxtrack&#xa0;?</translation>
    </message>
    <message>
        <source>A load run is going. Quitting stops it: open sessions are dropped without their end. Quit anyway?</source>
        <translation>Un test de charge est en cours. Quitter l&apos;arrête&#xa0;: les sessions ouvertes sont abandonnées sans être terminées. Quitter quand même&#xa0;?</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;A monitoring and test harness for voice-agent backends that track conversations in a database: a simulated voice client that drives conversations, one by hand or thousands at once, and a live inspector of the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite, with the faults that break tracking found by the doctor.&lt;/p&gt;&lt;p&gt;Qt %2 (built with Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Passwords kept in the system keychain through QtKeychain&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;Un outil de surveillance et banc de test pour les backends d&apos;agents vocaux qui suivent les conversations dans une base de données&#xa0;: un client vocal simulé qui pilote des conversations, une à la main ou des milliers à la fois, et un inspecteur en direct des tables conversation_sessions et conversation_messages sur PostgreSQL ou SQLite, avec les défauts qui perturbent le suivi détectés par le diagnostic.&lt;/p&gt;&lt;p&gt;Qt %2 (compilé avec Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Mots de passe conservés dans le trousseau du système via QtKeychain&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SessionsPage</name>
    <message>
        <source>Write the metadata filter as key=value, for example channel=phone.</source>
        <translation>Écrivez le filtre de métadonnées sous la forme clé=valeur, par exemple channel=phone.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Aucune base de données</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) so far, counting…</source>
        <translation>
            <numerusform>%n session pour l&apos;instant, comptage en cours…</numerusform>
            <numerusform>%n sessions pour l&apos;instant, comptage en cours…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation>
            <numerusform>%n session</numerusform>
            <numerusform>%n sessions</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SettingsDialog</name>
    <message>
        <source>System default</source>
        <translation>Langue du système</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SimulatorPage</name>
    <message>
        <source>Hello!</source>
        <translation>Bonjour&#xa0;!</translation>
    </message>
    <message>
        <source>What&apos;s the price of Tesla?</source>
        <translation>Quel est le cours de Tesla&#xa0;?</translation>
    </message>
    <message>
        <source>And the price of Apple?</source>
        <translation>Et le cours d&apos;Apple&#xa0;?</translation>
    </message>
    <message>
        <source>What can you do?</source>
        <translation>Que savez-vous faire&#xa0;?</translation>
    </message>
    <message>
        <source>Thanks, that&apos;s all.</source>
        <translation>Merci, ce sera tout.</translation>
    </message>
    <message>
        <source>Goodbye</source>
        <translation>Au revoir</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Vous</translation>
    </message>
    <message>
        <source>Open a new session with the server as this user (%1)</source>
        <translation>Ouvrir une nouvelle session avec le serveur en tant que cet utilisateur (%1)</translation>
    </message>
    <message>
        <source>End the session: the server records its end and duration (%1)</source>
        <translation>Terminer la session&#xa0;: le serveur enregistre sa fin et sa durée (%1)</translation>
    </message>
    <message>
        <source>Say it to the agent (Return or %1)</source>
        <translation>Le dire à l&apos;agent (Entrée ou %1)</translation>
    </message>
    <message>
        <source>There is no server to talk to: enter its URL in the connection bar first.</source>
        <translation>Il n&apos;y a aucun serveur avec lequel dialoguer&#xa0;: saisissez d&apos;abord son URL dans la barre de connexion.</translation>
    </message>
    <message>
        <source>No session is open: start one (%1), then say something.</source>
        <translation>Aucune session n&apos;est ouverte&#xa0;: démarrez-en une (%1), puis dites quelque chose.</translation>
    </message>
    <message>
        <source>There is nothing to say: type what the user says, or pick one of the phrases.</source>
        <translation>Il n&apos;y a rien à dire&#xa0;: saisissez ce que dit l&apos;utilisateur, ou choisissez l&apos;une des phrases.</translation>
    </message>
    <message>
        <source>Session %1 started for %2.</source>
        <translation>Session %1 démarrée pour %2.</translation>
    </message>
    <message>
        <source>Session %1 started.</source>
        <translation>Session %1 démarrée.</translation>
    </message>
    <message>
        <source>reply in %1 ms</source>
        <translation>réponse en %1 ms</translation>
    </message>
    <message>
        <source>saved in %1 ms</source>
        <translation>enregistré en %1 ms</translation>
    </message>
    <message numerus="yes">
        <source>Session ended after %1 with %n message(s) stored.</source>
        <translation>
            <numerusform>Session terminée après %1 avec %n message enregistré.</numerusform>
            <numerusform>Session terminée après %1 avec %n messages enregistrés.</numerusform>
        </translation>
    </message>
    <message>
        <source>Session %1 ended.</source>
        <translation>Session %1 terminée.</translation>
    </message>
    <message>
        <source>No server: start one or enter its URL in the connection bar to talk to its agent.</source>
        <translation>Aucun serveur&#xa0;: démarrez-en un ou saisissez son URL dans la barre de connexion pour dialoguer avec son agent.</translation>
    </message>
    <message>
        <source>Start a session (%1), then type what the user says or pick one of the phrases.</source>
        <translation>Démarrez une session (%1), puis saisissez ce que dit l&apos;utilisateur ou choisissez l&apos;une des phrases.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Connexion à %1…</translation>
    </message>
    <message>
        <source>No session</source>
        <translation>Aucune session</translation>
    </message>
    <message>
        <source>active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>ending…</source>
        <translation>fin en cours…</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>terminée</translation>
    </message>
    <message numerus="yes">
        <source>Session %1 · %2 · %n turn(s) · %3</source>
        <translation>
            <numerusform>Session %1 · %2 · %n tour · %3</numerusform>
            <numerusform>Session %1 · %2 · %n tours · %3</numerusform>
        </translation>
    </message>
    <message>
        <source>How is Nvidia doing today?</source>
        <translation>Comment va Nvidia aujourd’hui&#xa0;?</translation>
    </message>
    <message>
        <source>What about Microsoft?</source>
        <translation>Et Microsoft&#xa0;?</translation>
    </message>
    <message>
        <source>spoken · %1</source>
        <translation>parlé · %1</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Jouer aussi la parole sur cet ordinateur pendant son envoi</translation>
    </message>
    <message>
        <source>There is no audio output device: connect speakers or headphones to hear the speech.</source>
        <translation>Aucun périphérique de sortie audio&#xa0;: branchez des haut-parleurs ou un casque pour entendre la parole.</translation>
    </message>
</context>
<context>
    <name>voxtrack::json</name>
    <message>
        <source>an empty string</source>
        <translation>une chaîne vide</translation>
    </message>
    <message>
        <source>%1 (%2 characters)</source>
        <translation>%1 (%2 caractères)</translation>
    </message>
    <message>
        <source>an array</source>
        <translation>un tableau</translation>
    </message>
    <message>
        <source>an object</source>
        <translation>un objet</translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>rien</translation>
    </message>
    <message>
        <source>%1: the key is missing: add it as %2.</source>
        <translation>%1&#xa0;: la clé est manquante&#xa0;: ajoutez-la sous la forme %2.</translation>
    </message>
    <message>
        <source>%1: expected %2, not %3: fix the value.</source>
        <translation>%1&#xa0;: %2 attendu, et non %3&#xa0;: corrigez la valeur.</translation>
    </message>
    <message>
        <source>%1: the key is not known: use one of %2 (keys starting with &quot;_&quot; are comments).</source>
        <translation>%1&#xa0;: la clé est inconnue&#xa0;: utilisez l&apos;une des clés %2 (les clés commençant par «&#xa0;_&#xa0;» sont des commentaires).</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>une chaîne non vide</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>une chaîne</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true ou false</translation>
    </message>
    <message>
        <source>the number 1</source>
        <translation>le nombre 1</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActiveSessionsModel</name>
    <message>
        <source>Active sessions</source>
        <translation>Sessions actives</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActivityLog</name>
    <message numerus="yes">
        <source>… and %n more message(s) saved in the same write</source>
        <translation>
            <numerusform>… et %n autre message enregistré lors de la même écriture</numerusform>
            <numerusform>… et %n autres messages enregistrés lors de la même écriture</numerusform>
        </translation>
    </message>
    <message>
        <source>Started session %1 for user %2</source>
        <translation>Session %1 démarrée pour l&apos;utilisateur %2</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source>Ended session %1 (duration: %2 s, messages: %3, reason: %4)</source>
        <translation>Session %1 terminée (durée&#xa0;: %2 s, messages&#xa0;: %3, motif&#xa0;: %4)</translation>
    </message>
    <message>
        <source>Saved a message with the role &quot;%1&quot; for session %2: the schema allows user, agent and system</source>
        <translation>Message enregistré avec le rôle «&#xa0;%1&#xa0;» pour la session %2&#xa0;: le schéma autorise user, agent et system</translation>
    </message>
    <message>
        <source>Saved %1 message for session %2</source>
        <translation>Message %1 enregistré pour la session %2</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorReportModel</name>
    <message>
        <source>Passed</source>
        <translation>Réussie</translation>
    </message>
    <message>
        <source>Not checked</source>
        <translation>Non vérifiée</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Avertissement</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Remarque</translation>
    </message>
    <message>
        <source>Not checked: %1</source>
        <translation>Non vérifiée&#xa0;: %1</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravité</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Vérification</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Finding</source>
        <translation>Constat</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>Échantillons</translation>
    </message>
    <message>
        <source>Hint</source>
        <translation>Conseil</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorRunner</name>
    <message>
        <source>The doctor run was cancelled.</source>
        <translation>L&apos;exécution du diagnostic a été annulée.</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DurationHistogramModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 h</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sessions</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::HistogramModel</name>
    <message>
        <source>From</source>
        <translation>De</translation>
    </message>
    <message>
        <source>To</source>
        <translation>À</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyHistogramModel</name>
    <message>
        <source>Latency</source>
        <translation>Latence</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Réponses</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyPercentilesModel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>p%1</source>
        <translation>p%1</translation>
    </message>
    <message>
        <source>%1 % of %2 replies came within this time</source>
        <translation>%1 % des %2 réponses sont arrivées dans ce délai</translation>
    </message>
    <message>
        <source>Percentile</source>
        <translation>Centile</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latence</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesByRoleModel</name>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an allowed role (user, agent, system): the doctor lists these messages.</source>
        <translation>«&#xa0;%1&#xa0;» n&apos;est pas un rôle autorisé (user, agent, system)&#xa0;: le diagnostic liste ces messages.</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rôle</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Messages</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>Part</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesModel</name>
    <message>
        <source>Seq</source>
        <translation>Seq</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rôle</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>Contenu</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Métadonnées</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>terminée</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Session</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Début</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Fin</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Messages</translation>
    </message>
    <message>
        <source>End reason</source>
        <translation>Motif de fin</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Métadonnées</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsPerBucketModel</name>
    <message>
        <source>Sessions started</source>
        <translation>Sessions démarrées</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::TimeSeriesModel</name>
    <message>
        <source>Start (UTC)</source>
        <translation>Début (UTC)</translation>
    </message>
</context>
<context>
    <name>voxtrack::protocol</name>
    <message>
        <source>a string of 1 to %1 letters, digits, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; or &quot;-&quot;</source>
        <translation>une chaîne de 1 à %1 lettres, chiffres, «&#xa0;.&#xa0;», «&#xa0;_&#xa0;», «&#xa0;:&#xa0;» ou «&#xa0;-&#xa0;»</translation>
    </message>
    <message>
        <source>%1 or null</source>
        <translation>%1 ou null</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>une chaîne</translation>
    </message>
    <message>
        <source>a string or null</source>
        <translation>une chaîne ou null</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>une chaîne non vide</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>un objet JSON</translation>
    </message>
    <message>
        <source>&quot;%1&quot; (16-bit little-endian mono PCM)</source>
        <translation>&quot;%1&quot; (PCM mono 16 bits little-endian)</translation>
    </message>
    <message>
        <source>an integer from %1 to %2</source>
        <translation>un entier compris entre %1 et %2</translation>
    </message>
    <message>
        <source>an integer of at least 1</source>
        <translation>un entier supérieur ou égal à 1</translation>
    </message>
    <message>
        <source>an integer of at least 0</source>
        <translation>un entier supérieur ou égal à 0</translation>
    </message>
    <message>
        <source>a number of seconds of at least 0</source>
        <translation>un nombre de secondes supérieur ou égal à 0</translation>
    </message>
    <message>
        <source>a UTC time with milliseconds such as &quot;2025-10-18T09:30:00.123Z&quot;</source>
        <translation>une heure UTC avec millisecondes, comme &quot;2025-10-18T09:30:00.123Z&quot;</translation>
    </message>
    <message>
        <source>a UUID such as &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</source>
        <translation>un UUID, comme &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>l&apos;une des valeurs %1</translation>
    </message>
    <message>
        <source>The field &quot;role&quot; must be a string, not %1: use one of %2.</source>
        <translation>Le champ &quot;role&quot; doit être une chaîne, et non %1&#xa0;: utilisez l&apos;une des valeurs %2.</translation>
    </message>
    <message>
        <source>The %1 frame has no &quot;%2&quot; field: add it as %3.</source>
        <translation>La trame %1 n&apos;a pas de champ &quot;%2&quot;&#xa0;: ajoutez-le sous la forme %3.</translation>
    </message>
    <message>
        <source>The field &quot;%1&quot; of the %2 frame must be %3, not %4.</source>
        <translation>Le champ &quot;%1&quot; de la trame %2 doit être %3, et non %4.</translation>
    </message>
    <message>
        <source>The frame is not valid JSON (%1 at byte %2): send one UTF-8 JSON object per text frame.</source>
        <translation>La trame n&apos;est pas du JSON valide (%1 à l&apos;octet %2)&#xa0;: envoyez un objet JSON UTF-8 par trame texte.</translation>
    </message>
    <message>
        <source>The frame is %1, not a JSON object: send one object with a &quot;type&quot; field per text frame.</source>
        <translation>La trame est %1, et non un objet JSON&#xa0;: envoyez un objet avec un champ &quot;type&quot; par trame texte.</translation>
    </message>
    <message>
        <source>The frame has no &quot;type&quot;: add one such as &quot;user.message&quot;.</source>
        <translation>La trame n&apos;a pas de &quot;type&quot;&#xa0;: ajoutez-en un, comme &quot;user.message&quot;.</translation>
    </message>
    <message>
        <source>The field &quot;type&quot; must be a string such as &quot;user.message&quot;, not %1.</source>
        <translation>Le champ &quot;type&quot; doit être une chaîne comme &quot;user.message&quot;, et non %1.</translation>
    </message>
    <message>
        <source>The frame type %1 is not known: use one of %2.</source>
        <translation>Le type de trame %1 est inconnu&#xa0;: utilisez l&apos;un des types %2.</translation>
    </message>
    <message>
        <source>The text frame is %1 bytes, more than the limit of %2 bytes: send a shorter message.</source>
        <translation>La trame texte fait %1 octets, plus que la limite de %2 octets&#xa0;: envoyez un message plus court.</translation>
    </message>
    <message>
        <source>The audio %1 is still open: send audio.end for it before audio.start %2.</source>
        <translation>L&apos;audio %1 est encore ouvert&#xa0;: envoyez audio.end pour celui-ci avant audio.start %2.</translation>
    </message>
    <message>
        <source>No audio is open for audio.end %1: send audio.start with that id before the PCM data.</source>
        <translation>Aucun audio n&apos;est ouvert pour audio.end %1&#xa0;: envoyez audio.start avec cet identifiant avant les données PCM.</translation>
    </message>
    <message>
        <source>The audio.end id %1 does not match the open audio %2: end %2 first.</source>
        <translation>L&apos;identifiant audio.end %1 ne correspond pas à l&apos;audio ouvert %2&#xa0;: terminez d&apos;abord %2.</translation>
    </message>
    <message>
        <source>A binary frame of %1 bytes arrived with no audio open: send audio.start before the PCM data.</source>
        <translation>Une trame binaire de %1 octets est arrivée sans audio ouvert&#xa0;: envoyez audio.start avant les données PCM.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConnectionWorker</name>
    <message>
        <source>The server is shutting down: connect again later.</source>
        <translation>Le serveur est en cours d&apos;arrêt&#xa0;: reconnectez-vous plus tard.</translation>
    </message>
    <message>
        <source>This endpoint speaks WebSocket: connect with ws://…%1.</source>
        <translation>Ce point de terminaison utilise WebSocket&#xa0;: connectez-vous avec ws://…%1.</translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation>Seule la méthode GET est prise en charge ici.</translation>
    </message>
    <message>
        <source>Nothing is served at %1: the endpoints are %2, /healthz and /metrics.</source>
        <translation>Rien n&apos;est servi à l&apos;adresse %1&#xa0;: les points de terminaison sont %2, /healthz et /metrics.</translation>
    </message>
    <message>
        <source>No user: this server runs without authentication, so add ?user_id=&lt;id&gt; to the URL.</source>
        <translation>Aucun utilisateur&#xa0;: ce serveur fonctionne sans authentification, ajoutez donc ?user_id=&lt;id&gt; à l&apos;URL.</translation>
    </message>
    <message>
        <source>No credentials: send the header &quot;Authorization: Bearer &lt;token&gt;&quot; with a token signed with the server&apos;s secret.</source>
        <translation>Aucun identifiant de connexion&#xa0;: envoyez l&apos;en-tête &quot;Authorization: Bearer &lt;token&gt;&quot; avec un jeton signé avec le secret du serveur.</translation>
    </message>
    <message>
        <source>The metadata query parameter is not a JSON object: send ?metadata= with a URL-encoded object such as {&quot;channel&quot;:&quot;web&quot;}.</source>
        <translation>Le paramètre de requête metadata n&apos;est pas un objet JSON&#xa0;: envoyez ?metadata= avec un objet encodé pour URL, comme {&quot;channel&quot;:&quot;web&quot;}.</translation>
    </message>
    <message>
        <source>The server holds its maximum of %1 sessions: try again later.</source>
        <translation>Le serveur a atteint son maximum de %1 sessions&#xa0;: réessayez plus tard.</translation>
    </message>
    <message>
        <source>This session has ended and takes no more frames: open a new connection for a new session.</source>
        <translation>Cette session est terminée et n&apos;accepte plus de trames&#xa0;: ouvrez une nouvelle connexion pour une nouvelle session.</translation>
    </message>
    <message>
        <source>No audio is stored under %1: audio URLs come from the audio_url of a stored message.</source>
        <translation>Aucun audio n&apos;est stocké sous %1&#xa0;: les URL audio viennent de l&apos;audio_url d&apos;un message stocké.</translation>
    </message>
    <message>
        <source>The range %1 lies outside the %2 bytes of this file: ask for bytes below %2.</source>
        <translation>La plage %1 est en dehors des %2 octets de ce fichier&#xa0;: demandez des octets en dessous de %2.</translation>
    </message>
    <message>
        <source>This server stores no audio (it runs with --audio-dir none): send the transcript as a user.message instead.</source>
        <translation>Ce serveur ne stocke pas d&apos;audio (il tourne avec --audio-dir none)&#xa0;: envoyez plutôt la transcription comme user.message.</translation>
    </message>
    <message>
        <source>The audio &quot;%1&quot; is longer than %2 s: it was dropped; send shorter utterances, or start the server with a larger --max-audio-seconds.</source>
        <translation>L&apos;audio «&#xa0;%1&#xa0;» dure plus de %2 s&#xa0;: il a été abandonné&#xa0;; envoyez des énoncés plus courts, ou démarrez le serveur avec un --max-audio-seconds plus grand.</translation>
    </message>
    <message>
        <source>This server stores no audio.</source>
        <translation>Ce serveur ne stocke pas d&apos;audio.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConversationServer</name>
    <message>
        <source>Cannot listen on %1:%2 (%3): choose another --listen address or port, or stop what uses it.</source>
        <translation>Impossible d&apos;écouter sur %1:%2 (%3)&#xa0;: choisissez une autre adresse ou un autre port --listen, ou arrêtez ce qui les utilise.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::EmbeddedServer</name>
    <message>
        <source>No temporary directory for the journal: %1. Free some space or set TMPDIR.</source>
        <translation>Aucun répertoire temporaire pour le journal&#xa0;: %1. Libérez de l&apos;espace ou définissez TMPDIR.</translation>
    </message>
    <message>
        <source>Could not create the journal directory %1: check its parent is writable.</source>
        <translation>Impossible de créer le répertoire du journal %1&#xa0;: vérifiez que son répertoire parent est accessible en écriture.</translation>
    </message>
    <message>
        <source>No temporary directory for the audio: %1. Free some space or set TMPDIR.</source>
        <translation>Pas de répertoire temporaire pour l&apos;audio&#xa0;: %1. Libérez de l&apos;espace ou définissez TMPDIR.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::Jwt</name>
    <message>
        <source>header</source>
        <translation>en-tête</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>charge utile</translation>
    </message>
    <message>
        <source>signature</source>
        <translation>signature</translation>
    </message>
    <message>
        <source>The server has no JWT secret to verify tokens with: configure the project&apos;s JWT secret.</source>
        <translation>Le serveur n&apos;a aucun secret JWT pour vérifier les jetons&#xa0;: configurez le secret JWT du projet.</translation>
    </message>
    <message>
        <source>The bearer token is empty: send the access token after &quot;Bearer &quot;.</source>
        <translation>Le jeton Bearer est vide&#xa0;: envoyez le jeton d&apos;accès après &quot;Bearer &quot;.</translation>
    </message>
    <message>
        <source>The token has %1 parts separated by &quot;.&quot;, not 3: send a JWT (header.payload.signature) exactly as it was issued.</source>
        <translation>Le jeton comporte %1 parties séparées par «&#xa0;.&#xa0;», et non 3&#xa0;: envoyez un JWT (header.payload.signature) exactement tel qu&apos;il a été émis.</translation>
    </message>
    <message>
        <source>The token&apos;s %1 is not valid base64url: send the token exactly as it was issued.</source>
        <translation>La partie %1 du jeton n&apos;est pas du base64url valide&#xa0;: envoyez le jeton exactement tel qu&apos;il a été émis.</translation>
    </message>
    <message>
        <source>The token&apos;s header is not a JSON object: send a JWT as it was issued.</source>
        <translation>L&apos;en-tête du jeton n&apos;est pas un objet JSON&#xa0;: envoyez un JWT tel qu&apos;il a été émis.</translation>
    </message>
    <message>
        <source>The token&apos;s header has no &quot;alg&quot; naming its algorithm: send an HS256 token as Supabase issues them.</source>
        <translation>L&apos;en-tête du jeton n&apos;a pas de champ &quot;alg&quot; indiquant son algorithme&#xa0;: envoyez un jeton HS256 tel que Supabase les émet.</translation>
    </message>
    <message>
        <source>The token is not signed (algorithm &quot;none&quot;): send a token signed with HS256, as Supabase issues them.</source>
        <translation>Le jeton n&apos;est pas signé (algorithme &quot;none&quot;)&#xa0;: envoyez un jeton signé avec HS256, tel que Supabase les émet.</translation>
    </message>
    <message>
        <source>The token is signed with the algorithm %1, not HS256: send an HS256 token, as Supabase issues them.</source>
        <translation>Le jeton est signé avec l&apos;algorithme %1, et non HS256&#xa0;: envoyez un jeton HS256, tel que Supabase les émet.</translation>
    </message>
    <message>
        <source>The token&apos;s header has critical extensions (&quot;crit&quot;) this server does not understand: send a plain HS256 token.</source>
        <translation>L&apos;en-tête du jeton contient des extensions critiques (&quot;crit&quot;) que ce serveur ne comprend pas&#xa0;: envoyez un jeton HS256 simple.</translation>
    </message>
    <message>
        <source>The token&apos;s signature does not verify: check that the server has the JWT secret of the project that issued the token, and send the token unaltered.</source>
        <translation>La signature du jeton n&apos;est pas valide&#xa0;: vérifiez que le serveur dispose du secret JWT du projet qui a émis le jeton, et envoyez le jeton sans le modifier.</translation>
    </message>
    <message>
        <source>The token&apos;s payload is not a JSON object: send a JWT as it was issued.</source>
        <translation>La charge utile du jeton n&apos;est pas un objet JSON&#xa0;: envoyez un JWT tel qu&apos;il a été émis.</translation>
    </message>
    <message>
        <source>The token has no user id (a non-empty string &quot;sub&quot; claim): use the access token of a signed-in user.</source>
        <translation>Le jeton ne contient pas d&apos;identifiant d&apos;utilisateur (revendication &quot;sub&quot; sous forme de chaîne non vide)&#xa0;: utilisez le jeton d&apos;accès d&apos;un utilisateur connecté.</translation>
    </message>
    <message>
        <source>The token has no expiry (&quot;exp&quot; claim) and tokens that never expire are refused: issue one with an expiry.</source>
        <translation>Le jeton n&apos;a pas de date d&apos;expiration (revendication &quot;exp&quot;) et les jetons qui n&apos;expirent jamais sont refusés&#xa0;: émettez-en un avec une date d&apos;expiration.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;exp&quot; claim is not a time in seconds since 1970: issue a token with a valid expiry.</source>
        <translation>La revendication &quot;exp&quot; du jeton n&apos;est pas une date en secondes depuis 1970&#xa0;: émettez un jeton avec une date d&apos;expiration valide.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;%1&quot; claim is not a time in seconds since 1970: issue a token with valid times.</source>
        <translation>La revendication «&#xa0;%1&#xa0;» du jeton n&apos;est pas une date en secondes depuis 1970&#xa0;: émettez un jeton avec des dates valides.</translation>
    </message>
    <message>
        <source>The token expired at %1: sign in again to get a fresh one.</source>
        <translation>Le jeton a expiré le %1&#xa0;: reconnectez-vous pour en obtenir un nouveau.</translation>
    </message>
    <message>
        <source>The token is not valid before %1: wait until then, or check the clocks of the issuer and of this server.</source>
        <translation>Le jeton n&apos;est pas valide avant %1&#xa0;: attendez jusque-là, ou vérifiez les horloges de l&apos;émetteur et de ce serveur.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::RulesAgent</name>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>un nombre entier de millisecondes compris entre 0 et %1</translation>
    </message>
    <message>
        <source>%1: the &quot;}&quot; at offset %2 closes no placeholder: write }} for a literal brace.</source>
        <translation>%1&#xa0;: le «&#xa0;}&#xa0;» à la position %2 ne ferme aucun espace réservé&#xa0;: écrivez }} pour une accolade littérale.</translation>
    </message>
    <message>
        <source>%1: the &quot;{&quot; at offset %2 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>%1&#xa0;: le «&#xa0;{&#xa0;» à la position %2 n&apos;est pas fermé&#xa0;: terminez l&apos;espace réservé par «&#xa0;}&#xa0;», ou écrivez {{ pour une accolade littérale.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: use {text}, {user_id}, {session_id} or {1} to {9}, and {{ and }} for literal braces.</source>
        <translation>%1&#xa0;: l&apos;espace réservé {%2} est inconnu&#xa0;: utilisez {text}, {user_id}, {session_id} ou {1} à {9}, et {{ et }} pour des accolades littérales.</translation>
    </message>
    <message>
        <source>an object with &quot;match&quot; and &quot;reply&quot;</source>
        <translation>un objet avec «&#xa0;match&#xa0;» et «&#xa0;reply&#xa0;»</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true ou false</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1&#xa0;: l&apos;expression régulière n&apos;est pas valide (%2 à la position %3)&#xa0;: corrigez le motif.</translation>
    </message>
    <message>
        <source>The rules are not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>Les règles ne sont pas du JSON valide (%1 à l&apos;octet %2)&#xa0;: corrigez le fichier à cet endroit.</translation>
    </message>
    <message>
        <source>The rules are an array, not a JSON object: write one object with &quot;version&quot; and &quot;rules&quot;.</source>
        <translation>Les règles sont un tableau, et non un objet JSON&#xa0;: écrivez un seul objet avec «&#xa0;version&#xa0;» et «&#xa0;rules&#xa0;».</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write rules of version 1, as docs/agent-rules.md describes.</source>
        <translation>version&#xa0;: la version %1 n&apos;est pas prise en charge&#xa0;: écrivez des règles en version 1, comme le décrit docs/agent-rules.md.</translation>
    </message>
    <message>
        <source>an array of rules (it may be empty)</source>
        <translation>un tableau de règles (éventuellement vide)</translation>
    </message>
    <message>
        <source>an array of rules</source>
        <translation>un tableau de règles</translation>
    </message>
    <message>
        <source>an object with &quot;reply&quot;</source>
        <translation>un objet avec «&#xa0;reply&#xa0;»</translation>
    </message>
    <message>
        <source>The rules file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>Le fichier de règles %1 ne peut pas être lu (%2)&#xa0;: vérifiez le chemin et ses droits d&apos;accès.</translation>
    </message>
</context>
<context>
    <name>voxtrack::speech</name>
    <message>
        <source>espeak-ng could not start: install espeak-ng-data (or set ESPEAK_DATA_PATH to its directory).</source>
        <translation>espeak-ng n&apos;a pas pu démarrer&#xa0;: installez espeak-ng-data (ou faites pointer ESPEAK_DATA_PATH vers son répertoire).</translation>
    </message>
    <message>
        <source>The speech rate %1 is out of range: use %2 to %3 words per minute.</source>
        <translation>Le débit de parole %1 est hors limites&#xa0;: utilisez de %2 à %3 mots par minute.</translation>
    </message>
    <message>
        <source>The voice &quot;%1&quot; is not known to espeak-ng: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>La voix «&#xa0;%1&#xa0;» est inconnue d&apos;espeak-ng&#xa0;: utilisez-en une comme en-us, en-gb ou de (espeak-ng --voices les liste toutes).</translation>
    </message>
    <message>
        <source>There is no text to speak: give a sentence to say.</source>
        <translation>Il n&apos;y a pas de texte à prononcer&#xa0;: donnez une phrase à dire.</translation>
    </message>
    <message>
        <source>espeak-ng failed to speak the text (error %1): check that espeak-ng-data is complete.</source>
        <translation>espeak-ng n&apos;a pas pu prononcer le texte (erreur %1)&#xa0;: vérifiez que espeak-ng-data est complet.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store</name>
    <message>
        <source>the local socket</source>
        <translation>le socket local</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the login of user &quot;%2&quot; (%3): check the user and password in the URL, PGPASSWORD or ~/.pgpass.</source>
        <translation>PostgreSQL sur %1 a refusé la connexion de l&apos;utilisateur «&#xa0;%2&#xa0;» (%3)&#xa0;: vérifiez l&apos;utilisateur et le mot de passe dans l&apos;URL, PGPASSWORD ou ~/.pgpass.</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 has no database &quot;%2&quot;: create it (createdb %2) or fix the database name in the URL.</source>
        <translation>PostgreSQL sur %1 n&apos;a pas de base de données «&#xa0;%2&#xa0;»&#xa0;: créez-la (createdb %2) ou corrigez le nom de la base de données dans l&apos;URL.</translation>
    </message>
    <message>
        <source>The TLS connection to PostgreSQL at %1 failed (%2): check sslmode and the certificates in the URL.</source>
        <translation>La connexion TLS à PostgreSQL sur %1 a échoué (%2)&#xa0;: vérifiez sslmode et les certificats dans l&apos;URL.</translation>
    </message>
    <message>
        <source>Could not reach PostgreSQL at %1 (%2): start the server, or check the host and port in the URL.</source>
        <translation>Impossible de joindre PostgreSQL sur %1 (%2)&#xa0;: démarrez le serveur, ou vérifiez l&apos;hôte et le port dans l&apos;URL.</translation>
    </message>
    <message>
        <source>Could not connect to PostgreSQL at %1: %2.</source>
        <translation>Impossible de se connecter à PostgreSQL sur %1&#xa0;: %2.</translation>
    </message>
    <message>
        <source>%1 keeps sessions in the old shape without a session_id column: upgrade it with voxtrack-cli migrate.</source>
        <translation>%1 conserve les sessions dans l&apos;ancienne structure sans colonne session_id&#xa0;: mettez-la à niveau avec voxtrack-cli migrate.</translation>
    </message>
    <message>
        <source>There is no session &quot;%1&quot; in %2: list the sessions with voxtrack-cli sessions.</source>
        <translation>Il n&apos;existe aucune session «&#xa0;%1&#xa0;» dans %2&#xa0;: listez les sessions avec voxtrack-cli sessions.</translation>
    </message>
    <message>
        <source>s</source>
        <translation>s</translation>
    </message>
    <message>
        <source>min</source>
        <translation>min</translation>
    </message>
    <message>
        <source>h</source>
        <translation>h</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>&lt; %1 %2</source>
        <translation>&lt; %1 %2</translation>
    </message>
    <message>
        <source>≥ %1 %2</source>
        <translation>≥ %1 %2</translation>
    </message>
    <message>
        <source>%1–%2 %3</source>
        <translation>%1–%2 %3</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>minute</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>heure</translation>
    </message>
    <message>
        <source>day</source>
        <translation>jour</translation>
    </message>
    <message>
        <source>week</source>
        <translation>semaine</translation>
    </message>
    <message>
        <source>Counting by the %1 from %2 to %3 makes %4 buckets, more than %5: choose a larger bucket or a shorter time range.</source>
        <translation>Compter par %1 de %2 à %3 donne %4 intervalles, plus que %5&#xa0;: choisissez un intervalle plus grand ou une période plus courte.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::ChangeFeed</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>aucun motif indiqué</translation>
    </message>
    <message>
        <source>Connecting to %1 for live updates.</source>
        <translation>Connexion à %1 pour les mises à jour en direct.</translation>
    </message>
    <message>
        <source>Live updates could not connect to the database (%1): retrying in %2.</source>
        <translation>Les mises à jour en direct n&apos;ont pas pu se connecter à la base de données (%1)&#xa0;: nouvelle tentative dans %2.</translation>
    </message>
    <message>
        <source>Live updates could not follow the database (%1): retrying in %2.</source>
        <translation>Les mises à jour en direct n&apos;ont pas pu suivre la base de données (%1)&#xa0;: nouvelle tentative dans %2.</translation>
    </message>
    <message>
        <source>Following %1 through notifications.</source>
        <translation>Suivi de %1 par notifications.</translation>
    </message>
    <message>
        <source>Following %1 by polling every %2.</source>
        <translation>Suivi de %1 par interrogation toutes les %2.</translation>
    </message>
    <message>
        <source>PostgreSQL refused LISTEN %1 (%2)</source>
        <translation>PostgreSQL a refusé LISTEN %1 (%2)</translation>
    </message>
    <message>
        <source>The database connection was lost (%1): reconnecting in %2.</source>
        <translation>La connexion à la base de données a été perdue (%1)&#xa0;: reconnexion dans %2.</translation>
    </message>
    <message>
        <source>the server closed it</source>
        <translation>le serveur l&apos;a fermée</translation>
    </message>
    <message>
        <source>The change notification &quot;%1&quot; is not valid (%2): it is ignored; check that the database&apos;s voxtrack_notify_change() is the one of migration 0003.</source>
        <translation>La notification de modification «&#xa0;%1&#xa0;» n&apos;est pas valide (%2)&#xa0;: elle est ignorée&#xa0;; vérifiez que la fonction voxtrack_notify_change() de la base de données est celle de la migration 0003.</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>pas un objet JSON</translation>
    </message>
    <message>
        <source>unknown member &quot;%1&quot;</source>
        <translation>membre inconnu «&#xa0;%1&#xa0;»</translation>
    </message>
    <message>
        <source>the member &quot;%1&quot; is missing</source>
        <translation>le membre «&#xa0;%1&#xa0;» est manquant</translation>
    </message>
    <message>
        <source>t must be &quot;sessions&quot; or &quot;messages&quot;</source>
        <translation>t doit valoir &quot;sessions&quot; ou &quot;messages&quot;</translation>
    </message>
    <message>
        <source>op must be &quot;insert&quot; or &quot;update&quot;</source>
        <translation>op doit valoir &quot;insert&quot; ou &quot;update&quot;</translation>
    </message>
    <message>
        <source>n must be a whole number of at least 1</source>
        <translation>n doit être un nombre entier supérieur ou égal à 1</translation>
    </message>
    <message>
        <source>min and max must both be whole numbers, or both null</source>
        <translation>min et max doivent être tous deux des nombres entiers, ou tous deux null</translation>
    </message>
    <message>
        <source>min is greater than max</source>
        <translation>min est supérieur à max</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Connection</name>
    <message>
        <source>The Qt SQL driver %1 is not installed: install the package %2 (scripts/setup does).</source>
        <translation>Le pilote Qt SQL %1 n&apos;est pas installé&#xa0;: installez le paquet %2 (scripts/setup le fait).</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: check the path, or create one with voxtrack-cli migrate --db %2.</source>
        <translation>Il n&apos;existe aucune base de données SQLite à l&apos;emplacement %1&#xa0;: vérifiez le chemin, ou créez-en une avec voxtrack-cli migrate --db %2.</translation>
    </message>
    <message>
        <source>The directory %1 for the SQLite database does not exist: create it or choose another path.</source>
        <translation>Le répertoire %1 de la base de données SQLite n&apos;existe pas&#xa0;: créez-le ou choisissez un autre chemin.</translation>
    </message>
    <message>
        <source>Could not open the SQLite database %1 (%2): check that the file is a SQLite database and that you may read%3 it.</source>
        <translation>Impossible d&apos;ouvrir la base de données SQLite %1 (%2)&#xa0;: vérifiez que le fichier est une base de données SQLite et que vous avez le droit de la lire%3.</translation>
    </message>
    <message>
        <source> and write</source>
        <translation> et de la modifier</translation>
    </message>
    <message>
        <source>The file %1 is not a usable SQLite database (%2): check the path.</source>
        <translation>Le fichier %1 n&apos;est pas une base de données SQLite utilisable (%2)&#xa0;: vérifiez le chemin.</translation>
    </message>
    <message>
        <source>PostgreSQL refused the session settings (%1).</source>
        <translation>PostgreSQL a refusé les paramètres de session (%1).</translation>
    </message>
    <message>
        <source>PostgreSQL refused a read-only session (%1).</source>
        <translation>PostgreSQL a refusé une session en lecture seule (%1).</translation>
    </message>
    <message>
        <source>The database rejected &quot;%1&quot;: %2.</source>
        <translation>La base de données a rejeté «&#xa0;%1&#xa0;»&#xa0;: %2.</translation>
    </message>
    <message>
        <source>Could not begin a transaction: %1.</source>
        <translation>Impossible de démarrer une transaction&#xa0;: %1.</translation>
    </message>
    <message>
        <source>Could not commit the transaction: %1.</source>
        <translation>Impossible de valider la transaction&#xa0;: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Doctor</name>
    <message>
        <source>conversation_sessions has no session_id column (the old shape keyed by id)</source>
        <translation>conversation_sessions n&apos;a pas de colonne session_id (l&apos;ancienne structure indexée par id)</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate: it adds session_id, fills it from id and makes it NOT NULL and UNIQUE.</source>
        <translation>Exécutez voxtrack-cli migrate&#xa0;: la commande ajoute session_id, le remplit à partir de id et le rend NOT NULL et UNIQUE.</translation>
    </message>
    <message>
        <source>tables or columns of the conversation schema are missing</source>
        <translation>des tables ou des colonnes du schéma de conversation sont manquantes</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate, or add the listed columns.</source>
        <translation>Exécutez voxtrack-cli migrate, ou ajoutez les colonnes listées.</translation>
    </message>
    <message>
        <source>conversation_messages.role has no check constraint</source>
        <translation>conversation_messages.role n&apos;a pas de contrainte de vérification</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</source>
        <translation>Ajoutez CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</translation>
    </message>
    <message>
        <source>the role check does not allow exactly user, agent and system</source>
        <translation>la vérification des rôles n&apos;autorise pas exactement user, agent et system</translation>
    </message>
    <message>
        <source>Replace the constraint with CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); agent replies are &apos;agent&apos;, never &apos;assistant&apos;.</source>
        <translation>Remplacez la contrainte par CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;))&#xa0;; les réponses de l&apos;agent sont &apos;agent&apos;, jamais &apos;assistant&apos;.</translation>
    </message>
    <message>
        <source>the role check was added NOT VALID: existing rows were never checked</source>
        <translation>la vérification des rôles a été ajoutée avec NOT VALID&#xa0;: les lignes existantes n&apos;ont jamais été vérifiées</translation>
    </message>
    <message>
        <source>Fix the rows data.role_invalid lists, then ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</source>
        <translation>Corrigez les lignes que liste data.role_invalid, puis exécutez ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</translation>
    </message>
    <message>
        <source>conversation_messages.session_id has no foreign key to conversation_sessions(session_id)</source>
        <translation>conversation_messages.session_id n&apos;a pas de clé étrangère vers conversation_sessions(session_id)</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), after removing orphan messages.</source>
        <translation>Ajoutez CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), après avoir supprimé les messages orphelins.</translation>
    </message>
    <message>
        <source>a session_id column accepts NULL</source>
        <translation>une colonne session_id accepte NULL</translation>
    </message>
    <message>
        <source>Fill the NULLs (from id for sessions), then ALTER COLUMN session_id SET NOT NULL.</source>
        <translation>Remplissez les NULL (à partir de id pour les sessions), puis exécutez ALTER COLUMN session_id SET NOT NULL.</translation>
    </message>
    <message>
        <source>conversation_sessions.session_id is not unique</source>
        <translation>conversation_sessions.session_id n&apos;est pas unique</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); the foreign key from messages needs it.</source>
        <translation>Ajoutez CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id)&#xa0;; la clé étrangère des messages en a besoin.</translation>
    </message>
    <message>
        <source>required columns accept NULL</source>
        <translation>des colonnes obligatoires acceptent NULL</translation>
    </message>
    <message>
        <source>Make the listed columns NOT NULL once data.null_required is clean.</source>
        <translation>Rendez les colonnes listées NOT NULL une fois que data.null_required ne signale plus rien.</translation>
    </message>
    <message>
        <source>conversation_messages.message_id is not unique</source>
        <translation>conversation_messages.message_id n&apos;est pas unique</translation>
    </message>
    <message>
        <source>Create a unique index on message_id: it is the key that keeps retried writes from doubling messages.</source>
        <translation>Créez un index unique sur message_id&#xa0;: c&apos;est la clé qui empêche les écritures réessayées de dupliquer des messages.</translation>
    </message>
    <message>
        <source>no index on conversation_messages (session_id, created_at) or (session_id, seq)</source>
        <translation>aucun index sur conversation_messages (session_id, created_at) ou (session_id, seq)</translation>
    </message>
    <message>
        <source>CREATE INDEX ON conversation_messages (session_id, created_at): reading a conversation scans the table without it.</source>
        <translation>CREATE INDEX ON conversation_messages (session_id, created_at)&#xa0;: sans cet index, la lecture d&apos;une conversation parcourt toute la table.</translation>
    </message>
    <message>
        <source>the tracking columns (message_count, end_reason, message_id, seq) are missing</source>
        <translation>les colonnes de suivi (message_count, end_reason, message_id, seq) sont manquantes</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate to add them; until then the checks that need them are not run.</source>
        <translation>Exécutez voxtrack-cli migrate pour les ajouter&#xa0;; en attendant, les vérifications qui en ont besoin ne sont pas exécutées.</translation>
    </message>
    <message>
        <source>messages with a role other than user, agent or system</source>
        <translation>messages dont le rôle n&apos;est ni user, ni agent, ni system</translation>
    </message>
    <message>
        <source>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; find the writer that sends the wrong role.</source>
        <translation>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; trouvez le programme qui écrit le mauvais rôle.</translation>
    </message>
    <message>
        <source>messages whose session does not exist</source>
        <translation>messages dont la session n&apos;existe pas</translation>
    </message>
    <message>
        <source>The session insert failed or came after its messages: write the session first (one ordered queue), then delete or re-parent these messages.</source>
        <translation>L&apos;insertion de la session a échoué ou est arrivée après ses messages&#xa0;: écrivez d&apos;abord la session (une seule file ordonnée), puis supprimez ces messages ou rattachez-les à une autre session.</translation>
    </message>
    <message>
        <source>rows with a NULL or empty session_id</source>
        <translation>lignes dont le session_id est NULL ou vide</translation>
    </message>
    <message>
        <source>Fill session_id (sessions: from id, as voxtrack-cli migrate does) or delete the rows.</source>
        <translation>Remplissez session_id (pour les sessions&#xa0;: à partir de id, comme le fait voxtrack-cli migrate) ou supprimez les lignes.</translation>
    </message>
    <message>
        <source>rows with NULL in a required column</source>
        <translation>lignes avec NULL dans une colonne obligatoire</translation>
    </message>
    <message>
        <source>Fill the missing user_id, role, content or created_at, or delete the rows.</source>
        <translation>Remplissez les user_id, role, content ou created_at manquants, ou supprimez les lignes.</translation>
    </message>
    <message>
        <source>session_id values used by more than one session</source>
        <translation>valeurs de session_id utilisées par plusieurs sessions</translation>
    </message>
    <message>
        <source>Merge or delete the duplicates, then make session_id UNIQUE.</source>
        <translation>Fusionnez ou supprimez les doublons, puis rendez session_id UNIQUE.</translation>
    </message>
    <message>
        <source>message_id values stored more than once</source>
        <translation>valeurs de message_id enregistrées plusieurs fois</translation>
    </message>
    <message>
        <source>A retried write was stored twice: delete the extra copies and make message_id UNIQUE.</source>
        <translation>Une écriture réessayée a été enregistrée deux fois&#xa0;: supprimez les copies en trop et rendez message_id UNIQUE.</translation>
    </message>
    <message>
        <source>sessions with an end time that are still marked active</source>
        <translation>sessions ayant une heure de fin mais encore marquées comme actives</translation>
    </message>
    <message>
        <source>The session end must set is_active = false in the same update as ended_at.</source>
        <translation>La fin de session doit définir is_active = false dans la même mise à jour que ended_at.</translation>
    </message>
    <message>
        <source>inactive sessions without an end time</source>
        <translation>sessions inactives sans heure de fin</translation>
    </message>
    <message>
        <source>The session end must set ended_at and session_end with is_active = false.</source>
        <translation>La fin de session doit définir ended_at et session_end avec is_active = false.</translation>
    </message>
    <message>
        <source>sessions still active long after they started (never ended)</source>
        <translation>sessions encore actives longtemps après leur début (jamais terminées)</translation>
    </message>
    <message>
        <source>End sessions when the socket goes (close, error or ping timeout); a server start closes leftovers with end_reason &apos;recovered&apos;.</source>
        <translation>Terminez les sessions lorsque le socket disparaît (fermeture, erreur ou expiration du ping)&#xa0;; au démarrage, le serveur ferme les sessions restantes avec end_reason &apos;recovered&apos;.</translation>
    </message>
    <message>
        <source>ended sessions whose duration_seconds is missing or disagrees with ended_at - started_at</source>
        <translation>sessions terminées dont duration_seconds est manquant ou ne correspond pas à ended_at - started_at</translation>
    </message>
    <message>
        <source>Compute duration_seconds from the stored started_at and ended_at, in the same update.</source>
        <translation>Calculez duration_seconds à partir des started_at et ended_at enregistrés, dans la même mise à jour.</translation>
    </message>
    <message>
        <source>session_start and started_at disagree</source>
        <translation>session_start et started_at ne concordent pas</translation>
    </message>
    <message>
        <source>Write both columns from one timestamp.</source>
        <translation>Écrivez les deux colonnes à partir d&apos;un même horodatage.</translation>
    </message>
    <message>
        <source>session_end and ended_at disagree</source>
        <translation>session_end et ended_at ne concordent pas</translation>
    </message>
    <message>
        <source>messages created outside their session&apos;s start and end</source>
        <translation>messages créés en dehors du début et de la fin de leur session</translation>
    </message>
    <message>
        <source>Stamp messages with the server&apos;s clock when they arrive, and end the session after its last message.</source>
        <translation>Horodatez les messages avec l&apos;horloge du serveur à leur arrivée, et terminez la session après son dernier message.</translation>
    </message>
    <message>
        <source>sessions whose message_count differs from their stored messages</source>
        <translation>sessions dont le message_count diffère du nombre de messages enregistrés</translation>
    </message>
    <message>
        <source>Messages were lost or written after the session ended: compare the server&apos;s journal, then recount.</source>
        <translation>Des messages ont été perdus ou écrits après la fin de la session&#xa0;: comparez avec le journal du serveur, puis recomptez.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Migrator</name>
    <message>
        <source>The database %1 is open read-only: migrations need write access; drop ?mode=ro from the URL.</source>
        <translation>La base de données %1 est ouverte en lecture seule&#xa0;: les migrations nécessitent un accès en écriture&#xa0;; retirez ?mode=ro de l&apos;URL.</translation>
    </message>
    <message>
        <source>The database is at schema version %1, newer than this program&apos;s %2: use a newer Voxtrack.</source>
        <translation>La base de données est à la version %1 du schéma, plus récente que la version %2 de ce programme&#xa0;: utilisez une version plus récente de Voxtrack.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) differs from the one applied to this database: migrations are never edited once released; restore the file or add a new migration.</source>
        <translation>La migration %1 (%2) diffère de celle appliquée à cette base de données&#xa0;: les migrations ne sont jamais modifiées une fois publiées&#xa0;; restaurez le fichier ou ajoutez une nouvelle migration.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) failed, nothing was changed: %3</source>
        <translation>La migration %1 (%2) a échoué, rien n&apos;a été modifié&#xa0;: %3</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1 Run voxtrack-cli doctor on the database to see the rows at fault.</source>
        <translation>La mise à niveau de l&apos;ancienne structure de table (sessions indexées par id) a échoué, rien n&apos;a été modifié&#xa0;: %1 Exécutez voxtrack-cli doctor sur la base de données pour voir les lignes en cause.</translation>
    </message>
    <message>
        <source>%n session(s) without user_id</source>
        <translation>%n session(s) sans user_id</translation>
    </message>
    <message>
        <source>%n session(s) with a NULL id</source>
        <translation>%n session(s) avec un id NULL</translation>
    </message>
    <message>
        <source>%n message(s) belonging to no session</source>
        <translation>%n message(s) n&apos;appartenant à aucune session</translation>
    </message>
    <message>
        <source>%n message(s) with a role other than user, agent or system</source>
        <translation>%n message(s) dont le rôle n&apos;est ni user, ni agent, ni system</translation>
    </message>
    <message>
        <source>%n message(s) without content</source>
        <translation>%n message(s) sans contenu</translation>
    </message>
    <message>
        <source>The old table shape (sessions keyed by id) cannot be upgraded, nothing was changed: it holds %1. Run voxtrack-cli doctor on it to see them, fix or delete them, then migrate again.</source>
        <translation>L&apos;ancienne structure de table (sessions indexées par id) ne peut pas être mise à niveau, rien n&apos;a été modifié&#xa0;: elle contient %1. Exécutez voxtrack-cli doctor sur la base pour les voir, corrigez-les ou supprimez-les, puis relancez la migration.</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1</source>
        <translation>La mise à niveau de l&apos;ancienne structure de table (sessions indexées par id) a échoué, rien n&apos;a été modifié&#xa0;: %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Schema</name>
    <message>
        <source>%1 does not have both conversation_sessions and conversation_messages: use a conversation database, or create the tables with voxtrack-cli migrate.</source>
        <translation>%1 ne contient pas à la fois conversation_sessions et conversation_messages&#xa0;: utilisez une base de données de conversations, ou créez les tables avec voxtrack-cli migrate.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker</name>
    <message>
        <source>The journal file %1 cannot be used (%2): check that the journal directory is writable and has space.</source>
        <translation>Le fichier journal %1 ne peut pas être utilisé (%2)&#xa0;: vérifiez que le répertoire du journal est accessible en écriture et dispose d&apos;espace libre.</translation>
    </message>
    <message>
        <source>%1 has no conversation tables: create them first with voxtrack-cli migrate on the same --db URL.</source>
        <translation>%1 ne contient pas de tables de conversations&#xa0;: créez-les d&apos;abord avec voxtrack-cli migrate sur la même URL --db.</translation>
    </message>
    <message>
        <source>%1 lacks columns of the current schema (%2): bring it up to date with voxtrack-cli migrate on the same --db URL.</source>
        <translation>Il manque à %1 des colonnes du schéma actuel (%2)&#xa0;: mettez-la à jour avec voxtrack-cli migrate sur la même URL --db.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::ConversationTracker</name>
    <message>
        <source>The tracker is shutting down and takes no more messages: reconnect to another server.</source>
        <translation>Le suivi est en cours d&apos;arrêt et n&apos;accepte plus de messages&#xa0;: reconnectez-vous à un autre serveur.</translation>
    </message>
    <message>
        <source>The database is behind by %1 messages and there is no journal to hold more: try again later, or run the server with a journal.</source>
        <translation>La base de données a %1 messages de retard et il n&apos;y a aucun journal pour en conserver davantage&#xa0;: réessayez plus tard, ou lancez le serveur avec un journal.</translation>
    </message>
    <message>
        <source>A session needs a session id and a user id: neither may be empty.</source>
        <translation>Une session nécessite un identifiant de session et un identifiant d&apos;utilisateur&#xa0;: aucun des deux ne peut être vide.</translation>
    </message>
    <message>
        <source>The session %1 is already open: use a new session id.</source>
        <translation>La session %1 est déjà ouverte&#xa0;: utilisez un nouvel identifiant de session.</translation>
    </message>
    <message>
        <source>A message needs the id of its session: the session id is empty.</source>
        <translation>Un message nécessite l&apos;identifiant de sa session&#xa0;: l&apos;identifiant de session est vide.</translation>
    </message>
    <message>
        <source>There is no open session %1: start the session before its messages, and send nothing after its end.</source>
        <translation>Il n&apos;existe aucune session ouverte %1&#xa0;: démarrez la session avant ses messages, et n&apos;envoyez rien après sa fin.</translation>
    </message>
    <message>
        <source>There is no open session %1 to end: it was never started or has ended already.</source>
        <translation>Il n&apos;existe aucune session ouverte %1 à terminer&#xa0;: elle n&apos;a jamais été démarrée ou est déjà terminée.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Journal</name>
    <message>
        <source>Could not create the journal directory %1: choose a writable directory.</source>
        <translation>Impossible de créer le répertoire du journal %1&#xa0;: choisissez un répertoire accessible en écriture.</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 is damaged: move the journal directory aside to start afresh (its unwritten messages would be lost).</source>
        <translation>Le point de contrôle du journal dans %1 est endommagé&#xa0;: déplacez le répertoire du journal ailleurs pour repartir de zéro (ses messages non écrits seraient perdus).</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 lies past the journal&apos;s end: move the journal directory aside to start afresh.</source>
        <translation>Le point de contrôle du journal dans %1 se situe au-delà de la fin du journal&#xa0;: déplacez le répertoire du journal ailleurs pour repartir de zéro.</translation>
    </message>
    <message>
        <source>A journal record must hold 1 byte to 64 MiB, not %1 bytes.</source>
        <translation>Un enregistrement du journal doit contenir de 1 octet à 64 Mio, et non %1 octets.</translation>
    </message>
    <message>
        <source>No journal segment holds offset %1.</source>
        <translation>Aucun segment du journal ne contient la position %1.</translation>
    </message>
    <message>
        <source>A journal record header is cut short.</source>
        <translation>Un en-tête d&apos;enregistrement du journal est tronqué.</translation>
    </message>
    <message>
        <source>A journal record fails its checksum.</source>
        <translation>La somme de contrôle d&apos;un enregistrement du journal est incorrecte.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Seeder</name>
    <message>
        <source>The number of %1 must be from %2 to %3, not %4: choose one in that range.</source>
        <translation>Le nombre de %1 doit être compris entre %2 et %3, et non %4&#xa0;: choisissez-en un dans cet intervalle.</translation>
    </message>
    <message>
        <source>The seed must be from 0 to %1, not %2: choose one in that range.</source>
        <translation>La graine doit être comprise entre 0 et %1, et non %2&#xa0;: choisissez-en une dans cet intervalle.</translation>
    </message>
    <message>
        <source>The share of open sessions must be from 0 to 100 percent, not %1: choose one in that range.</source>
        <translation>La part de sessions ouvertes doit être comprise entre 0 et 100 pour cent, et non %1&#xa0;: choisissez-en une dans cet intervalle.</translation>
    </message>
    <message>
        <source>Seeding was interrupted and rolled back: nothing was written. Run it again to seed the database.</source>
        <translation>Le remplissage a été interrompu et annulé&#xa0;: rien n&apos;a été écrit. Relancez-le pour remplir la base de données.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): %2.</source>
        <translation>L&apos;écriture dans PostgreSQL a échoué (%1)&#xa0;: %2.</translation>
    </message>
    <message>
        <source>The PostgreSQL driver does not expose its libpq connection (it hands out &quot;%1&quot;): Voxtrack needs Qt&apos;s QPSQL driver built against libpq.</source>
        <translation>Le pilote PostgreSQL n&apos;expose pas sa connexion libpq (il fournit «&#xa0;%1&#xa0;»)&#xa0;: Voxtrack nécessite le pilote QPSQL de Qt compilé avec libpq.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg::CopyIn</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): the statement did not start a COPY FROM STDIN.</source>
        <translation>L&apos;écriture dans PostgreSQL a échoué (%1)&#xa0;: l&apos;instruction n&apos;a pas démarré de COPY FROM STDIN.</translation>
    </message>
</context>
<context>
    <name>voxtrack::wav</name>
    <message>
        <source>This is not a playable WAV file: %1.</source>
        <translation>Ce n’est pas un fichier WAV lisible&#xa0;: %1.</translation>
    </message>
    <message>
        <source>it does not start with RIFF … WAVE</source>
        <translation>il ne commence pas par RIFF … WAVE</translation>
    </message>
    <message>
        <source>its format chunk is cut short</source>
        <translation>son bloc de format est tronqué</translation>
    </message>
    <message>
        <source>its samples are not plain PCM</source>
        <translation>ses échantillons ne sont pas du PCM simple</translation>
    </message>
    <message>
        <source>its data comes before its format</source>
        <translation>ses données précèdent son format</translation>
    </message>
    <message>
        <source>its data chunk says %1 bytes but %2 follow</source>
        <translation>son bloc de données annonce %1 octets mais %2 suivent</translation>
    </message>
    <message>
        <source>its format chunk holds impossible values</source>
        <translation>son bloc de format contient des valeurs impossibles</translation>
    </message>
    <message>
        <source>it has no data chunk</source>
        <translation>il n’a pas de bloc de données</translation>
    </message>
</context>
<context>
    <name>voxtrackd</name>
    <message>
        <source>voxtrackd: the reference conversation-tracking server. Clients speak WebSocket protocol v1 on /v1/conversation; every session and message is journaled, then written to the database in batches; /healthz and /metrics are served on the same port.</source>
        <translation>voxtrackd&#xa0;: le serveur de référence pour le suivi des conversations. Les clients utilisent le protocole WebSocket v1 sur /v1/conversation&#xa0;; chaque session et chaque message est journalisé, puis écrit dans la base de données par lots&#xa0;; /healthz et /metrics sont servis sur le même port.</translation>
    </message>
    <message>
        <source>Database URL (default: %1).</source>
        <translation>URL de la base de données (par défaut&#xa0;: %1).</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Address and port to listen on (default 127.0.0.1:8787; port 0 picks a free one).</source>
        <translation>Adresse et port d&apos;écoute (127.0.0.1:8787 par défaut&#xa0;; le port 0 en choisit un libre).</translation>
    </message>
    <message>
        <source>host:port</source>
        <translation>hôte:port</translation>
    </message>
    <message>
        <source>HS256 secret that signs client tokens (or $VOXTRACK_TOKEN_SECRET).</source>
        <translation>Secret HS256 qui signe les jetons des clients (ou $VOXTRACK_TOKEN_SECRET).</translation>
    </message>
    <message>
        <source>secret</source>
        <translation>secret</translation>
    </message>
    <message>
        <source>No authentication: clients name themselves with ?user_id=.</source>
        <translation>Aucune authentification&#xa0;: les clients s&apos;identifient avec ?user_id=.</translation>
    </message>
    <message>
        <source>Largest text frame accepted (default 65536).</source>
        <translation>Taille maximale d&apos;une trame texte acceptée (65536 par défaut).</translation>
    </message>
    <message>
        <source>bytes</source>
        <translation>octets</translation>
    </message>
    <message>
        <source>Most sessions open at once (default 10000).</source>
        <translation>Nombre maximal de sessions ouvertes simultanément (10000 par défaut).</translation>
    </message>
    <message>
        <source>count</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>The simulated agent&apos;s rules file (JSON; see docs/agent-rules.md). Default: built-in rules.</source>
        <translation>Le fichier de règles de l&apos;agent simulé (JSON&#xa0;; voir docs/agent-rules.md). Par défaut&#xa0;: règles intégrées.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>fichier</translation>
    </message>
    <message>
        <source>No simulated replies: an external agent relays its replies with role &quot;agent&quot;.</source>
        <translation>Aucune réponse simulée&#xa0;: un agent externe relaie ses réponses avec le rôle &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>Journal directory (default %1/journal; &quot;none&quot; to run without one).</source>
        <translation>Répertoire du journal (par défaut %1/journal&#xa0;; &quot;none&quot; pour fonctionner sans journal).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>rép</translation>
    </message>
    <message>
        <source>debug, info (default), warning or error.</source>
        <translation>debug, info (par défaut), warning ou error.</translation>
    </message>
    <message>
        <source>level</source>
        <translation>niveau</translation>
    </message>
    <message>
        <source>Milliseconds of silence (no frame, no pong) after which a connection is dropped and its session ended with reason timeout (default 45000).</source>
        <translation>Millisecondes de silence (aucune trame, aucun pong) après lesquelles une connexion est abandonnée et sa session terminée avec le motif timeout (45000 par défaut).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a stop may take to drain the queue (default 10000).</source>
        <translation>Millisecondes dont dispose un arrêt pour vider la file d&apos;attente (10000 par défaut).</translation>
    </message>
    <message>
        <source>For testing a harness only: make the server misbehave on purpose. agent-role (store replies as role user), drop-every=N (acknowledge every N-th user message but never store it), never-end (leave ended sessions active in the database). May be given more than once.</source>
        <translation>Uniquement pour tester un banc de test&#xa0;: faire volontairement mal fonctionner le serveur. agent-role (enregistrer les réponses avec le rôle user), drop-every=N (acquitter chaque N-ième message utilisateur sans jamais l&apos;enregistrer), never-end (laisser les sessions terminées actives dans la base de données). Peut être indiqué plusieurs fois.</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>défaut</translation>
    </message>
    <message>
        <source>--%1 takes a whole number of at least %2, not &quot;%3&quot;.</source>
        <translation>--%1 attend un nombre entier supérieur ou égal à %2, pas «&#xa0;%3&#xa0;».</translation>
    </message>
    <message>
        <source>--log-level takes debug, info, warning or error, not &quot;%1&quot;.</source>
        <translation>--log-level attend debug, info, warning ou error, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>--listen takes an address and port such as 127.0.0.1:8787 or [::1]:8787, not &quot;%1&quot;.</source>
        <translation>--listen attend une adresse et un port comme 127.0.0.1:8787 ou [::1]:8787, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>--no-auth and a token secret exclude each other: choose one.</source>
        <translation>--no-auth et un secret de jeton s&apos;excluent mutuellement&#xa0;: choisissez l&apos;un des deux.</translation>
    </message>
    <message>
        <source>Choose how clients prove who they are: --token-secret SECRET (HS256 tokens whose sub is the user id, as Supabase issues them) or --no-auth (identity from ?user_id=).</source>
        <translation>Choisissez comment les clients prouvent leur identité&#xa0;: --token-secret SECRET (jetons HS256 dont le sub est l&apos;identifiant de l&apos;utilisateur, tels que Supabase les émet) ou --no-auth (identité issue de ?user_id=).</translation>
    </message>
    <message>
        <source>--test-fault takes agent-role, drop-every=N (N ≥ 1) or never-end, not &quot;%1&quot;.</source>
        <translation>--test-fault attend agent-role, drop-every=N (N ≥ 1) ou never-end, pas «&#xa0;%1&#xa0;».</translation>
    </message>
    <message>
        <source>This process may open only %1 files, fewer than --max-sessions %2 needs: raise the limit (ulimit -n) or lower --max-sessions.</source>
        <translation>Ce processus ne peut ouvrir que %1 fichiers, moins que ce que nécessite --max-sessions %2&#xa0;: augmentez la limite (ulimit -n) ou réduisez --max-sessions.</translation>
    </message>
    <message>
        <source>Directory of stored utterances, served as /audio/&lt;message_id&gt;.wav (default %1/audio; &quot;none&quot; to refuse audio).</source>
        <translation>Répertoire des énoncés stockés, servis comme /audio/&lt;message_id&gt;.wav (par défaut %1/audio&#xa0;; «&#xa0;none&#xa0;» pour refuser l&apos;audio).</translation>
    </message>
    <message>
        <source>Longest utterance kept; longer ones are dropped with audio.too_long (default 60).</source>
        <translation>Énoncé le plus long conservé&#xa0;; les plus longs sont abandonnés avec audio.too_long (par défaut 60).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>Speak the agent&apos;s replies with espeak-ng in this voice (en-us, en-gb, de, …; espeak-ng --voices lists them): each reply is stored as a WAV file and sent with its audio_url. Needs --audio-dir.</source>
        <translation>Prononcer les réponses de l&apos;agent avec espeak-ng dans cette voix (en-us, en-gb, de, …&#xa0;; espeak-ng --voices les liste)&#xa0;: chaque réponse est stockée comme fichier WAV et envoyée avec son audio_url. Nécessite --audio-dir.</translation>
    </message>
    <message>
        <source>voice</source>
        <translation>voix</translation>
    </message>
    <message>
        <source>--speak-replies stores the spoken replies: give an --audio-dir other than none.</source>
        <translation>--speak-replies stocke les réponses parlées&#xa0;: donnez un --audio-dir autre que none.</translation>
    </message>
</context>
</TS>
