import BoucleCore

/// Pools of realistic French text for the workload's offers: what a volunteer types into a
/// mutual-aid offer in Lyon. Values are drawn from a `SeededGenerator`, so the same seed gives
/// the same bytes on every machine.
enum FrenchText {
    static let firstNames = [
        "Camille", "Louise", "Jeanne", "Chloé", "Manon", "Léa", "Inès", "Sarah", "Lucas", "Hugo",
        "Louis", "Gabriel", "Arthur", "Jules", "Nathan", "Mohamed", "Yasmine", "Amina", "Thomas", "Élodie",
        "Nicolas", "Aurélie", "Karim", "Fatou", "Sophie", "Pierre", "Marie", "Antoine", "Émilie", "Julien",
    ]

    static let lastNames = [
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Mercier", "Benali", "Diallo", "Nguyen", "Lambert", "Bonnet", "François",
    ]

    static let streets = [
        "rue de la République", "rue Garibaldi", "avenue Jean Jaurès", "cours Lafayette", "rue Paul Bert",
        "boulevard de la Croix-Rousse", "rue Victor Hugo", "quai Saint-Antoine", "rue de Marseille",
        "montée de la Grande-Côte", "rue Duguesclin", "avenue Berthelot", "rue des Tables Claudiennes",
        "rue Servient", "cours Gambetta", "rue de Créqui", "avenue des Frères Lumière", "rue Mercière",
        "grande rue de la Guillotière", "rue Saint-Jean",
    ]

    static let towns = [
        "69001 Lyon", "69002 Lyon", "69003 Lyon", "69004 Lyon", "69005 Lyon", "69006 Lyon", "69007 Lyon",
        "69008 Lyon", "69009 Lyon", "69100 Villeurbanne", "69200 Vénissieux", "69300 Caluire-et-Cuire",
    ]

    static let addressExtras = ["", "", "", ", bâtiment B", ", 3e étage gauche", ", au fond de la cour", ", interphone Dupont"]

    static let neighbourhoods = [
        "la Croix-Rousse", "la Guillotière", "la Part-Dieu", "Vaise", "Monplaisir", "Gerland", "les Brotteaux",
        "Perrache", "Villeurbanne", "Saint-Jean", "Montchat", "la Duchère",
    ]

    /// Title openings per category slug (Protocol/SPEC.md §1, the nine defaults).
    static let titles: [String: [String]] = [
        "groceries": ["Courses pour une personne âgée", "Livraison de courses le samedi matin", "Aide aux courses au marché"],
        "homework": ["Aide aux devoirs en mathématiques", "Soutien scolaire niveau collège", "Lecture avec des enfants de CP"],
        "conversation": ["Appels de conversation pour personnes isolées", "Un café au téléphone chaque semaine", "Discussion en visio"],
        "crisis-staff": ["Garde d'enfants pour soignants", "Repas pour le personnel de l'hôpital", "Transport pour infirmières de nuit"],
        "pets": ["Promenade de chien en fin de journée", "Garde de chat pendant une hospitalisation", "Sorties pour chiens âgés"],
        "it-paperwork": ["Aide aux démarches administratives en ligne", "Installation d'un ordinateur", "Déclaration d'impôts accompagnée"],
        "masks": ["Couture de masques en tissu", "Patrons et élastiques pour masques", "Atelier couture de masques"],
        "printing": ["Impression d'attestations", "Impression de documents scolaires", "Photocopies pour une association"],
        "other": ["Petits travaux de bricolage", "Accompagnement à un rendez-vous médical", "Prêt d'outils de jardinage"],
    ]

    static let sentences = [
        "Je suis disponible en semaine après 18 heures et le week-end toute la journée.",
        "J'ai une voiture et je peux me déplacer dans tout l'arrondissement sans difficulté.",
        "Merci de m'appeler plutôt que d'envoyer un message, je les lis rarement.",
        "Je peux venir deux fois par semaine, idéalement le mardi et le vendredi.",
        "Je respecte les gestes barrières et je porte un masque à chaque passage.",
        "Retraitée, j'ai beaucoup de temps libre et j'aime rendre service aux voisins.",
        "Étudiant en deuxième année, je suis patient et j'ai l'habitude des enfants.",
        "Je parle aussi anglais, arabe et un peu d'espagnol si cela peut aider.",
        "Pas de déplacement possible au-delà de la ligne de métro, désolée.",
        "Je dépose les courses devant la porte et je sonne pour prévenir.",
        "Les tickets de caisse sont conservés et remis avec la monnaie.",
        "En cas d'urgence, laissez un message au secrétariat de l'association.",
        "Je peux prêter un ordinateur portable pour quelques jours si besoin.",
        "Matériel fourni : tissu en coton, élastiques et fil, lavables à soixante degrés.",
        "Horaires souples, prévenez-moi la veille si possible.",
        "J'habite le quartier depuis vingt ans et je connais bien les commerçants.",
    ]

    /// A title for `category`: an opening and a neighbourhood.
    static func title(category: String, using generator: inout SeededGenerator) -> String {
        let openings = titles[category] ?? titles["other", default: ["Entraide"]]
        return "\(pick(openings, &generator)) à \(pick(neighbourhoods, &generator))"
    }

    /// Two to four sentences (about 150 to 350 bytes).
    static func details(using generator: inout SeededGenerator) -> String {
        let count = Int.random(in: 2...4, using: &generator)
        return (0..<count).map { _ in pick(sentences, &generator) }.joined(separator: " ")
    }

    static func address(using generator: inout SeededGenerator) -> String {
        let number = Int.random(in: 1...180, using: &generator)
        return "\(number) \(pick(streets, &generator)), \(pick(towns, &generator))\(pick(addressExtras, &generator))"
    }

    static func contactName(using generator: inout SeededGenerator) -> String {
        "\(pick(firstNames, &generator)) \(pick(lastNames, &generator))"
    }

    /// A French mobile number, `06 12 34 56 78`.
    static func phone(using generator: inout SeededGenerator) -> String {
        let pairs = (0..<4).map { _ in String(format2: Int.random(in: 0...99, using: &generator)) }
        return "0\(Int.random(in: 6...7, using: &generator)) " + pairs.joined(separator: " ")
    }

    static func pick(_ pool: [String], _ generator: inout SeededGenerator) -> String {
        pool[Int.random(in: 0..<pool.count, using: &generator)]
    }
}

extension String {
    /// Two decimal digits, zero-padded.
    init(format2 number: Int) {
        self = number < 10 ? "0\(number)" : "\(number)"
    }
}
