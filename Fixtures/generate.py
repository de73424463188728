#!/usr/bin/env python3
"""Generate Boucle's data fixtures and protocol test vectors.

Run from the repository root (or anywhere):

    python3 Fixtures/generate.py

Standard library only, fixed seeds: running it twice writes identical bytes.
It writes

    Fixtures/sample/        lyon.changeset + README.md   (a realistic synthetic tenant)
    Fixtures/changesets/    small valid change-sets for CLI tests and the README tour
    Fixtures/malformed/     change-sets every reader must refuse + expected.tsv
    Protocol/vectors/       one directory per merge rule: N.changeset + expected.json
    Fixtures/csv/           offers.csv, requests.csv, their Excel forms, bad-row.csv + README.md

The expected states of the vectors are written out by hand below, reasoned from the rules
of Protocol/SPEC.md; nothing here implements the merge.

Every person in these files is invented. Phone numbers are invented, all of the form
06 39 98 xx xx.
"""

import hashlib
import json
import math
import os
import random
import re
import shutil
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VECTORS = os.path.join(ROOT, "Protocol", "vectors")

SEED = 20261102
FORMAT = "boucle-changeset"
HOUR = 3_600_000
DAY = 24 * HOUR
CET = HOUR  # Lyon is UTC+1 in November and December


# --------------------------------------------------------------------------- wire format

def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def canonical_number(x):
    """RFC 8785 section 3.2.2.3 (ECMAScript's Number.prototype.toString), from Python's shortest
    round-trip digits (repr): SPEC section 3's canonical numbers."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + canonical_number(-x)
    mantissa, _, exponent = repr(float(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len((whole + fraction).lstrip("0")))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return digits + "0" * (point - k)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    e = point - 1
    return digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("-" if e < 0 else "+") + str(abs(e))


def canonical_json(value):
    """SPEC section 3's canonical JSON: no spaces, keys sorted by UTF-8 bytes, strings escaping
    only \" \\ and control characters, numbers by canonical_number."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return canonical_number(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        out = ['"']
        for ch in value:
            code = ord(ch)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif code < 0x20:
                out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(code, "\\u%04x" % code))
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    keys = sorted(value, key=lambda k: k.encode("utf-8"))
    return "{" + ",".join(canonical_json(k) + ":" + canonical_json(value[k]) for k in keys) + "}"


def hlc(ms, counter=0):
    """16 lowercase hex digits of (milliseconds << 16 | counter)."""
    assert 0 <= ms < 0xFFFFFFFFFFFF and 0 <= counter <= 0xFFFF
    return "%016x" % (ms << 16 | counter)


def lyon_ms(year, month, day, hour, minute=0, second=0, milli=0):
    """Milliseconds since the epoch of a Lyon wall-clock time in November/December (CET)."""
    days = _days_from_civil(year, month, day)
    return days * DAY + hour * HOUR + minute * 60_000 + second * 1000 + milli - CET


def _days_from_civil(y, m, d):
    # Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date.
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def new_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stamp_text(stamp):
    return "%s@%s" % stamp


def category_id(slug):
    """SPEC.md section 1: first 16 bytes of SHA-256("boucle-category:" + slug), version 8, RFC 4122 variant."""
    b = bytearray(hashlib.sha256(("boucle-category:" + slug).encode("utf-8")).digest()[:16])
    b[6] = b[6] & 0x0F | 0x80
    b[8] = b[8] & 0x3F | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def header_obj(tenant, origin, version=1, fmt=FORMAT):
    return {"format": fmt, "version": version, "tenant": tenant, "origin": origin}


def set_obj(collection, rid, team, stamp, fields):
    return {"collection": collection, "id": rid, "team": team, "hlc": stamp[0], "replica": stamp[1],
            "set": {name: fields[name] for name in sorted(fields)}}


def delete_obj(collection, rid, team, stamp):
    return {"collection": collection, "id": rid, "team": team, "hlc": stamp[0], "replica": stamp[1],
            "delete": True}


def line(obj):
    return dumps(obj).encode("utf-8")


def assemble(lines, count=None, sha=None, eol=b"\n", trailer=True):
    """Header and change lines (bytes, without line ends) + trailer over every preceding byte."""
    body = b"".join(l + eol for l in lines)
    if not trailer:
        return body
    if count is None:
        count = len(lines) - 1
    if sha is None:
        sha = hashlib.sha256(body).hexdigest()
    return body + line({"end": {"changes": count, "sha256": sha}}) + eol


class ChangeSet:
    def __init__(self, tenant, origin):
        self.header = header_obj(tenant, origin)
        self.changes = []

    def set(self, collection, rid, team, stamp, fields):
        self.changes.append(set_obj(collection, rid, team, stamp, fields))

    def delete(self, collection, rid, team, stamp):
        self.changes.append(delete_obj(collection, rid, team, stamp))

    def lines(self):
        return [line(self.header)] + [line(c) for c in self.changes]

    def to_bytes(self):
        return assemble(self.lines())


# --------------------------------------------------------------------------- output helpers

WRITTEN = []


def write(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    WRITTEN.append(os.path.relpath(path, ROOT))


def clean_dir(path, pattern):
    """Remove what an earlier run wrote (files or directories whose name matches pattern)."""
    if not os.path.isdir(path):
        return
    for name in sorted(os.listdir(path)):
        if re.fullmatch(pattern, name):
            full = os.path.join(path, name)
            if os.path.isdir(full):
                shutil.rmtree(full)
            else:
                os.remove(full)


# --------------------------------------------------------------------------- Lyon data

CATEGORIES = ["groceries", "homework", "conversation", "crisis-staff", "pets", "it-paperwork",
              "masks", "printing", "other"]
CATEGORY_LABELS = {
    "groceries": "Courses de première nécessité",
    "homework": "Aide aux devoirs",
    "conversation": "Conversation à distance",
    "crisis-staff": "Aide aux personnels de crise",
    "pets": "Promenade d'animaux",
    "it-paperwork": "Aide informatique et administrative",
    "masks": "Couture de masques",
    "printing": "Impression de documents",
    "other": "Autre",
}
CATEGORY_WEIGHTS = {"groceries": 3.0, "homework": 2.0, "conversation": 2.0, "crisis-staff": 1.0,
                    "pets": 1.5, "it-paperwork": 2.0, "masks": 0.7, "printing": 1.0, "other": 1.5}
# Share of records of a category that are remote (help given at a distance).
REMOTE_SHARE = {"conversation": 0.75, "homework": 0.30, "it-paperwork": 0.35}

# (street, postcode, lat, lon, bearing of the street in degrees, half length in m, house numbers)
# Points are on the street (checked against published street coordinates where available);
# records are spread along the street around that point by at most the half length.
STREETS = [
    ("rue Mercière", "69002", 45.76260, 4.83200, 165, 60, (2, 70)),
    ("quai Saint-Antoine", "69002", 45.76280, 4.83030, 165, 60, (2, 40)),
    ("rue de Brest", "69002", 45.76300, 4.83340, 160, 50, (10, 60)),
    ("rue du Président-Édouard-Herriot", "69002", 45.76300, 4.83430, 0, 60, (20, 90)),
    ("rue Henri-Germain", "69002", 45.76389, 4.83500, 90, 25, (1, 15)),
    ("rue de la République", "69002", 45.76200, 4.83570, 0, 60, (30, 80)),
    ("rue Marcel-Gabriel-Rivière", "69002", 45.75972, 4.83583, 90, 20, (1, 12)),
    ("rue Victor-Hugo", "69002", 45.75450, 4.82980, 170, 50, (10, 50)),
    ("rue de la Charité", "69002", 45.75400, 4.83150, 190, 40, (10, 60)),
    ("cours Charlemagne", "69002", 45.74400, 4.82450, 200, 50, (20, 80)),
    ("rue Marc-Antoine-Petit", "69002", 45.74500, 4.82500, 100, 25, (2, 20)),
    ("montée de la Grande-Côte", "69001", 45.77000, 4.83270, 5, 40, (1, 110)),
    ("rue Burdeau", "69001", 45.77030, 4.83050, 90, 50, (10, 50)),
    ("rue des Capucins", "69001", 45.76890, 4.83450, 90, 30, (2, 30)),
    ("rue d'Algérie", "69001", 45.76690, 4.83080, 90, 30, (2, 30)),
    ("rue Paul-Chenavard", "69001", 45.76611, 4.83306, 0, 40, (2, 30)),
    ("grande rue de la Croix-Rousse", "69004", 45.77570, 4.83100, 170, 40, (60, 110)),
    ("boulevard de la Croix-Rousse", "69004", 45.77443, 4.83131, 90, 50, (100, 160)),
    ("rue d'Austerlitz", "69004", 45.77620, 4.83380, 0, 40, (2, 30)),
    ("rue Hénon", "69004", 45.77930, 4.82750, 90, 50, (10, 80)),
    ("rue Saint-Jean", "69005", 45.76280, 4.82740, 0, 60, (10, 80)),
    ("rue Saint-Georges", "69005", 45.75750, 4.82680, 0, 40, (10, 80)),
    ("montée du Gourguillon", "69005", 45.75920, 4.82500, 90, 30, (2, 30)),
    ("rue Paul Bert", "69003", 45.75830, 4.85000, 80, 50, (60, 140)),
    ("rue Garibaldi", "69003", 45.75978, 4.85220, 0, 60, (180, 260)),
    ("rue Duguesclin", "69003", 45.76265, 4.84845, 0, 60, (180, 250)),
    ("cours Lafayette", "69003", 45.76360, 4.85000, 90, 60, (50, 120)),
    ("boulevard Vivier-Merle", "69003", 45.76050, 4.85750, 0, 60, (10, 60)),
    ("rue de la Villette", "69003", 45.76000, 4.86250, 0, 50, (10, 60)),
    ("rue Servient", "69003", 45.76080, 4.84900, 90, 60, (60, 140)),
    ("cours Vitton", "69006", 45.76970, 4.85900, 90, 60, (20, 90)),
    ("cours Franklin-Roosevelt", "69006", 45.76870, 4.84700, 90, 60, (20, 90)),
    ("cours Gambetta", "69007", 45.75361, 4.84750, 90, 60, (20, 90)),
    ("rue de Marseille", "69007", 45.75083, 4.83944, 170, 60, (20, 90)),
    ("avenue Berthelot", "69007", 45.74250, 4.85056, 110, 60, (40, 120)),
    ("rue Saint-Lazare", "69007", 45.75000, 4.84806, 0, 25, (2, 30)),
    ("grande rue de la Guillotière", "69007", 45.75250, 4.84650, 125, 40, (20, 100)),
    ("rue de l'Université", "69007", 45.75030, 4.84000, 90, 50, (10, 60)),
    ("quai Claude-Bernard", "69007", 45.75050, 4.83780, 0, 60, (10, 80)),
    ("avenue Jean-Jaurès", "69007", 45.73472, 4.83556, 200, 60, (280, 340)),
    ("rue Villon", "69008", 45.74167, 4.86444, 0, 60, (20, 80)),
    ("avenue des Frères-Lumière", "69008", 45.74520, 4.86900, 120, 40, (20, 80)),
    ("rue de Bourgogne", "69009", 45.77650, 4.80620, 0, 50, (10, 80)),
    ("rue Marietton", "69009", 45.77380, 4.80100, 90, 50, (10, 80)),
]

TEAM_OF_POSTCODE = {
    "69001": "croix-rousse", "69004": "croix-rousse", "69005": "croix-rousse", "69009": "croix-rousse",
    "69002": "guillotiere", "69007": "guillotiere", "69008": "guillotiere",
    "69003": "part-dieu", "69006": "part-dieu",
}
TEAMS = ["croix-rousse", "guillotiere", "part-dieu"]
QUARTER_OF_POSTCODE = {
    "69001": "Pentes", "69002": "Presqu'île", "69003": "Part-Dieu", "69004": "Croix-Rousse",
    "69005": "Vieux Lyon", "69006": "Brotteaux", "69007": "Guillotière", "69008": "Monplaisir",
    "69009": "Vaise",
}

FIRST_NAMES = [
    "Claire", "Mehdi", "Sophie", "Karim", "Camille", "Lucas", "Inès", "Yanis", "Léa", "Thomas",
    "Nadia", "Julien", "Fatou", "Antoine", "Chloé", "Hugo", "Amina", "Mathieu", "Élodie", "Rachid",
    "Manon", "Nicolas", "Sarah", "Pierre", "Lina", "Baptiste", "Océane", "Samir", "Juliette",
    "Romain", "Aïcha", "Maxime", "Pauline", "Bilal", "Margaux", "Vincent", "Zoé", "Olivier",
    "Salomé", "Kévin", "Agathe", "Théo", "Nora", "Guillaume", "Anaïs", "Adrien", "Louise",
    "Jérôme", "Leïla", "François", "Mathilde", "Sébastien", "Yasmine", "Arnaud", "Élise", "Paul",
    "Bérénice", "Malik", "Hélène", "Dominique", "Gaëlle", "Youssef", "Marion", "Benoît", "Sonia",
]
ELDER_WOMEN = ["Odette", "Gisèle", "Raymonde", "Josette", "Simone", "Paulette", "Yvette", "Monique",
               "Jacqueline", "Huguette", "Colette", "Ginette"]
ELDER_MEN = ["Marcel", "Lucien", "Georges", "Henri", "René", "Bernard", "Fernand", "Armand"]
ON_BEHALF = [
    "sa mère, {age} ans", "son père, {age} ans", "ma mère, {age} ans", "mon père, {age} ans",
    "ma voisine {woman}, {age} ans", "mon voisin {man}, {age} ans", "ma grand-mère {woman}, {age} ans",
    "mon grand-père {man}, {age} ans", "sa tante {woman}, {age} ans", "mon oncle {man}, {age} ans",
    "une voisine de palier, {age} ans", "un voisin malvoyant du 2e, {age} ans",
]

OFFERS = {
    "groceries": [
        ("Je fais vos courses le samedi matin", "Je fais mes courses chaque samedi matin : je peux prendre votre liste et déposer les sacs devant votre porte."),
        ("Courses au marché pour les voisins", "Je vais au marché deux fois par semaine et je peux rapporter fruits, légumes et fromage."),
        ("Livraison de courses à pied dans le quartier", "Je livre à pied, avec un caddie, dans un rayon d'un kilomètre. Remboursement sur ticket de caisse."),
        ("Courses en voiture le mercredi", "J'ai une voiture : je peux faire un plein de courses au supermarché pour une ou deux familles."),
        ("Aide aux courses pour personnes isolées", "Étudiante disponible, je fais les courses de première nécessité et je passe à la pharmacie."),
        ("Je passe à la pharmacie et à la supérette", "Je peux récupérer une ordonnance à la pharmacie et quelques courses en rentrant du travail."),
        ("Porter les packs d'eau et les charges lourdes", "Je monte les packs d'eau, le lait et les courses lourdes dans les étages sans ascenseur."),
    ],
    "homework": [
        ("Aide aux devoirs de maths niveau 4e", "Prof de maths à la retraite, j'aide en maths du collège : fractions, équations, géométrie."),
        ("Soutien en français au collège", "Rédaction, grammaire, lecture : j'accompagne les élèves de la 6e à la 3e."),
        ("Aide aux devoirs primaire le mercredi", "J'aide les enfants du CP au CM2 pour les devoirs et la lecture, le mercredi après-midi."),
        ("Anglais niveau lycée", "Anglophone, je propose de la conversation et de l'aide aux devoirs d'anglais pour le lycée."),
        ("Physique-chimie 3e, préparation du brevet", "Ingénieur, je peux revoir le programme de physique-chimie et faire des exercices de brevet."),
        ("Méthodologie et organisation du travail", "J'aide les collégiens à s'organiser : agenda, fiches de révision, préparation des contrôles."),
    ],
    "conversation": [
        ("Appel hebdomadaire contre l'isolement", "Je propose un appel chaque semaine, à heure fixe, pour discuter de tout et de rien."),
        ("Un coup de fil chaque matin", "Un petit appel le matin pour prendre des nouvelles et commencer la journée à deux."),
        ("Discuter en français ou en espagnol", "Je parle français et espagnol ; je peux appeler des personnes seules ou qui apprennent le français."),
        ("Lecture au téléphone", "Je lis le journal ou un roman au téléphone aux personnes qui ne peuvent plus lire."),
        ("Conversation en visio le dimanche", "Le dimanche après-midi, je propose une visio pour parler, jouer aux cartes ou regarder des photos."),
        ("Écoute et discussion pour les aidants", "J'ai été aidante pendant dix ans : je peux écouter et échanger avec celles et ceux qui aident un proche."),
    ],
    "crisis-staff": [
        ("Garde d'enfants pour soignants", "Je garde les enfants du personnel soignant en horaires décalés, y compris le week-end."),
        ("Repas préparés pour les équipes de l'hôpital", "Je cuisine des plats complets, livrés en barquettes, pour les équipes de nuit."),
        ("Lessive et repassage pour soignants", "Je m'occupe du linge des personnels de santé : dépôt et retour sous 48 h."),
        ("Chambre disponible près de l'hôpital", "Une chambre libre pour un soignant qui a besoin de dormir près de son service."),
        ("Courses pour les personnels de crise", "Je fais les courses des soignants et des caissières qui finissent tard."),
    ],
    "pets": [
        ("Promenade de chien le soir", "Je promène votre chien le soir vers 19 h, une demi-heure, dans le quartier."),
        ("Sortie du chien le matin avant 8 h", "Levée tôt, je peux sortir un chien avant de partir travailler."),
        ("Je garde votre chat pendant une hospitalisation", "Je passe nourrir et câliner votre chat chez vous, ou je le garde chez moi."),
        ("Nourrir les chats pendant une absence", "Je m'occupe des chats, des lapins et des poissons pendant vos absences."),
        ("Promenade de chien au parc", "Je vais au parc tous les jours et je peux emmener un chien de plus."),
    ],
    "it-paperwork": [
        ("Aide pour les démarches en ligne (CAF, Ameli)", "Je vous aide à créer vos comptes et à remplir vos démarches en ligne, pas à pas."),
        ("Installation d'une visio sur tablette", "J'installe et je règle une application de visio sur votre tablette ou votre téléphone."),
        ("Aide à la déclaration d'impôts", "Je peux vous accompagner pour la déclaration de revenus en ligne."),
        ("Dépannage informatique", "Ordinateur lent, imprimante qui ne marche pas, mots de passe oubliés : je viens voir."),
        ("Créer une adresse e-mail et un compte FranceConnect", "Je vous aide à créer une adresse e-mail et à vous connecter aux services publics."),
        ("Aide pour un dossier de retraite", "Ancienne conseillère, je peux aider à rassembler les pièces d'un dossier de retraite."),
    ],
    "masks": [
        ("Couture de masques en tissu", "Je couds des masques en tissu lavables, aux normes AFNOR, à donner."),
        ("Je couds des masques lavables", "J'ai une machine à coudre et du temps : je peux faire une vingtaine de masques par semaine."),
        ("Tissu et élastiques à donner", "Je donne du tissu en coton et des élastiques pour celles et ceux qui cousent des masques."),
    ],
    "printing": [
        ("Impression d'attestations et de documents", "J'imprime vos attestations, formulaires et billets ; à récupérer en bas de chez moi."),
        ("J'imprime vos formulaires", "Envoyez-moi le document, je l'imprime et je le dépose dans votre boîte aux lettres."),
        ("Photocopies et scans pour les démarches", "Je scanne ou photocopie vos papiers pour un dossier de logement ou de CAF."),
    ],
    "other": [
        ("Petit bricolage : ampoules, étagères", "Je change les ampoules, je fixe des étagères et je fais les petites réparations."),
        ("Prêt d'une perceuse et d'un escabeau", "Je prête une perceuse, une caisse à outils et un escabeau."),
        ("Montage de meubles", "Je monte vos meubles en kit, le week-end."),
        ("Accompagnement aux rendez-vous médicaux", "Je peux accompagner à pied ou en tram à un rendez-vous médical et attendre sur place."),
        ("Arrosage des plantes pendant une absence", "Je passe arroser les plantes et relever le courrier."),
        ("Aide pour descendre les encombrants", "Je descends les encombrants et je les dépose à la déchèterie avec ma voiture."),
    ],
}

REQUESTS = {
    "groceries": [
        ("Courses pour une voisine âgée", "Ma voisine ne sort plus depuis sa chute ; il lui faudrait des courses une fois par semaine."),
        ("Besoin de courses cette semaine", "Je suis malade et seul, il me faudrait des courses de base : pain, lait, pâtes, fruits."),
        ("Courses de première nécessité pour une famille", "Famille de cinq, sans voiture ; une aide pour un gros plein de courses serait précieuse."),
        ("Quelqu'un pour porter les packs d'eau", "4e étage sans ascenseur : besoin d'aide pour monter l'eau et les courses lourdes."),
        ("Courses et pharmacie pour ma mère", "Ma mère habite seule dans le quartier ; je suis loin et cherche quelqu'un pour ses courses et la pharmacie."),
    ],
    "homework": [
        ("Aide aux devoirs de maths pour mon fils en 4e", "Mon fils décroche en maths, une heure par semaine l'aiderait beaucoup."),
        ("Soutien en français pour une élève de CM2", "Ma fille a du mal en lecture et en dictée ; nous cherchons quelqu'un de patient."),
        ("Préparer le brevet", "Élève de 3e qui a besoin d'aide pour réviser le brevet, surtout les maths et les sciences."),
        ("Aide en anglais niveau seconde", "Mon fils est en seconde et a beaucoup de retard en anglais."),
        ("Aide aux devoirs pour deux enfants en primaire", "Deux enfants en CE1 et CM1, je travaille tard et ne peux pas les aider."),
    ],
    "conversation": [
        ("Quelqu'un à qui parler le soir", "Les soirées sont longues ; un appel de temps en temps me ferait du bien."),
        ("Appel régulier pour une personne seule", "La personne vit seule et ne voit personne de la semaine ; un appel par semaine serait bienvenu."),
        ("Conversation pour apprendre le français", "Arrivée récemment à Lyon, je cherche quelqu'un pour pratiquer le français à l'oral."),
        ("Un appel le dimanche", "Le dimanche est le jour le plus difficile ; un appel l'après-midi serait formidable."),
    ],
    "crisis-staff": [
        ("Garde d'enfants en horaires décalés", "Infirmière de nuit, je cherche quelqu'un pour garder mes deux enfants le soir."),
        ("Repas pour une équipe de nuit", "Notre équipe de nuit n'a plus de cantine ouverte ; des repas préparés nous aideraient."),
        ("Aide aux courses pour une aide-soignante", "Je finis à 21 h et les magasins sont fermés ; besoin d'aide pour les courses."),
        ("Linge pour une équipe d'urgence", "Besoin d'aide pour laver les tenues de l'équipe cette semaine."),
    ],
    "pets": [
        ("Promenade de chien pour une personne à mobilité réduite", "Je ne peux plus marcher longtemps ; mon chien a besoin de deux sorties par jour."),
        ("Quelqu'un pour sortir mon chien le midi", "Je travaille loin et mon chien reste seul toute la journée."),
        ("Garde de chat pendant une hospitalisation", "Hospitalisation prévue la semaine prochaine, il faudrait nourrir le chat pendant huit jours."),
        ("Sortir un vieux chien deux fois par jour", "Mon chien a 13 ans, il marche doucement : deux petites sorties par jour suffisent."),
    ],
    "it-paperwork": [
        ("Aide pour un dossier de retraite", "Je ne comprends pas les formulaires de retraite en ligne ; besoin d'aide pour les remplir."),
        ("Installer la visio sur la tablette", "Nous voudrions pouvoir parler en visio avec les petits-enfants."),
        ("Attestation à faire en ligne", "Besoin d'aide pour télécharger et remplir une attestation sur un site administratif."),
        ("Dossier CAF à compléter", "Dossier d'aide au logement à compléter et à envoyer en ligne, avec des justificatifs à scanner."),
        ("Ordinateur qui ne démarre plus", "Mon ordinateur ne démarre plus et j'ai des papiers importants dessus."),
    ],
    "masks": [
        ("Masques en tissu pour une famille", "Famille de cinq personnes, il nous faudrait des masques lavables."),
        ("Masques pour les bénévoles de la maraude", "Notre équipe de maraude manque de masques pour les bénévoles et les personnes rencontrées."),
    ],
    "printing": [
        ("Imprimer des attestations", "Je n'ai pas d'imprimante ; il me faudrait quelques attestations imprimées chaque semaine."),
        ("Impression d'un dossier de logement", "Un dossier de logement d'une trentaine de pages à imprimer en deux exemplaires."),
        ("Imprimer des billets et une convocation", "Besoin d'imprimer une convocation médicale et des billets de train."),
    ],
    "other": [
        ("Changer une ampoule au plafond", "Je ne peux plus monter sur un escabeau ; une ampoule du salon est grillée."),
        ("Accompagnement à un rendez-vous médical", "Rendez-vous à l'hôpital, besoin de quelqu'un pour accompagner en tram et attendre."),
        ("Descendre des encombrants", "Un vieux matelas et une armoire démontée à descendre du 3e étage."),
        ("Aide pour un petit déménagement", "Une dizaine de cartons à déplacer vers un appartement du même quartier."),
        ("Fixer une barre d'appui dans la salle de bains", "Il faudrait fixer une barre d'appui pour éviter une nouvelle chute."),
    ],
}

OFFER_AVAILABILITY = [
    "Disponible le samedi matin.", "Disponible en semaine après 18 h.", "Plutôt le mercredi après-midi.",
    "Quelques heures par semaine, à convenir.", "Le week-end uniquement.", "Tous les jours sauf le jeudi.",
    "En télétravail, je peux me libérer le midi.", "Disponible les lundis et vendredis.",
]
REMOTE_NOTE = {
    "offer": ["Par téléphone ou en visio.", "À distance uniquement.", "Par téléphone, à heure fixe.",
              "En visio, je m'adapte à vos horaires."],
    "request": ["Par téléphone ou en visio.", "À distance, par téléphone.", "En visio si possible."],
}
URGENCY_NOTE = {
    "high": ["C'est urgent, si possible avant la fin de la semaine.", "Urgent : la personne ne peut plus sortir depuis lundi."],
    "normal": ["Quand vous pouvez dans la semaine.", "Dès que possible, sans urgence particulière."],
    "low": ["Pas pressé, dans les quinze jours.", "Rien d'urgent, quand vous aurez un moment."],
}
# Requests made on behalf of someone else (~20% of all requests): neutral titles and details.
OBO_SHARE = 0.30
OBO_TEXT = {
    "groceries": [
        ("Courses pour une personne âgée", "Il faudrait des courses une fois par semaine : pain, lait, fruits et légumes."),
        ("Courses hebdomadaires pour un proche isolé", "La personne ne sort plus seule ; une liste courte, livrée le même jour chaque semaine."),
    ],
    "conversation": [
        ("Appel régulier pour un proche isolé", "Un appel par semaine lui ferait beaucoup de bien ; plutôt le téléphone que la visio."),
        ("Quelqu'un pour appeler une personne seule", "La famille habite loin ; un appel régulier, même court, serait précieux."),
    ],
    "it-paperwork": [
        ("Aide administrative pour un proche âgé", "Un courrier de la caisse de retraite attend une réponse en ligne ; il faudrait aider à la remplir."),
        ("Installer la visio chez un proche", "Il faudrait installer et montrer la visio sur une tablette déjà achetée."),
    ],
    "pets": [
        ("Promenade du chien d'une personne âgée", "Le chien a besoin de deux sorties par jour et la personne ne peut plus marcher longtemps."),
    ],
    "other": [
        ("Accompagnement d'un proche à un rendez-vous médical", "Rendez-vous à l'hôpital la semaine prochaine ; il faudrait accompagner en tram et attendre."),
        ("Petits travaux chez une personne âgée", "Une ampoule à changer et une barre d'appui à fixer dans la salle de bains."),
    ],
    "printing": [
        ("Impression de documents pour une personne âgée", "Quelques documents à imprimer et à déposer dans sa boîte aux lettres ; pas d'imprimante chez elle."),
    ],
}
SIDES = ["porte gauche", "porte droite", "fond du couloir", "porte face à l'ascenseur"]

# Titles posted with a typo, fixed by a later edit: (category, kind, typo, fixed).
TYPOS = [
    ("groceries", "request", "Courses pour une voisne âgée", "Courses pour une voisine âgée"),
    ("homework", "offer", "Aide aux devoirs de maht niveau 4e", "Aide aux devoirs de maths niveau 4e"),
    ("pets", "offer", "Promenade de chein le soir", "Promenade de chien le soir"),
    ("printing", "offer", "Impresion d'attestations et de documents", "Impression d'attestations et de documents"),
    ("conversation", "offer", "Appel hebdomadaire contre l'isolment", "Appel hebdomadaire contre l'isolement"),
]


def phone(rng):
    return "06 39 98 %02d %02d" % (rng.randrange(100), rng.randrange(100))


def person(rng):
    name = rng.choice(FIRST_NAMES)
    if rng.random() < 0.5:
        name += " " + rng.choice("ABCDEFGHJLMNPRSTV") + "."
    return name


def point_on(rng, street, number_hint=None):
    name, postcode, lat, lon, bearing, half, (lo, hi) = street
    along = rng.uniform(-half, half)
    across = rng.uniform(-4, 4)
    b = math.radians(bearing)
    north = along * math.cos(b) - across * math.sin(b)
    east = along * math.sin(b) + across * math.cos(b)
    plat = lat + north / 111_320.0
    plon = lon + east / (111_320.0 * math.cos(math.radians(lat)))
    number = number_hint if number_hint is not None else rng.randint(lo, hi)
    return "%d %s, %s Lyon" % (number, name, postcode), round(plat, 6), round(plon, 6), postcode


# --------------------------------------------------------------------------- A. the sample

class Clock:
    """Stamps of one replica, increasing, inside Lyon day hours (09:00-20:30)."""

    def __init__(self, rng, replica, start_ms):
        self.rng, self.replica, self.ms, self.counter = rng, replica, start_ms, 0

    def next(self, min_s, max_s, same_ms=0.03):
        if self.rng.random() < same_ms:
            self.counter += 1
        else:
            self.ms += self.rng.randint(min_s * 1000, max_s * 1000) + self.rng.randrange(1000)
            self.counter = 0
            local = self.ms + CET
            if local % DAY > 20 * HOUR + 30 * 60_000:
                self.ms = (local // DAY + 1) * DAY + 9 * HOUR - CET + self.rng.randrange(15 * 60_000)
        return (hlc(self.ms, self.counter), self.replica)

    def jump(self, ms):
        if ms > self.ms:
            self.ms, self.counter = ms, 0


def gen_sample():
    rng = random.Random(SEED)
    origin = new_uuid(rng)
    cats = list(CATEGORY_WEIGHTS)
    weights = [CATEGORY_WEIGHTS[c] for c in cats]

    # Buildings shared by several records (same street and number, different flats).
    by_name = {s[0]: s for s in STREETS}
    shared = [("rue Mercière", 12), ("montée de la Grande-Côte", 3), ("grande rue de la Croix-Rousse", 84),
              ("rue Paul Bert", 97), ("rue de Marseille", 41), ("cours Gambetta", 58),
              ("rue Garibaldi", 212), ("rue Duguesclin", 224), ("avenue Berthelot", 66),
              ("rue Saint-Jean", 27), ("cours Vitton", 45), ("rue Hénon", 33)]
    buildings = []
    for street, number in shared:
        addr, lat, lon, pc = point_on(rng, by_name[street], number)
        buildings.append({"address": addr, "lat": lat, "lon": lon, "postcode": pc})

    used_addresses = {b["address"] for b in buildings}

    def place(rng, building=None):
        if building is None:
            while True:  # a building of its own: never the address of another record
                street = STREETS[rng.randrange(len(STREETS))]
                addr, lat, lon, pc = point_on(rng, street)
                if addr not in used_addresses:
                    used_addresses.add(addr)
                    return addr, lat, lon, pc, None
        floor = rng.randint(1, 6)
        return building["address"], building["lat"], building["lon"], building["postcode"], floor

    def floor_note(rng, floor):
        if rng.random() < 0.5:
            return "Appartement au %de étage, %s." % (floor, rng.choice(SIDES)) if floor > 1 else \
                "Appartement au 1er étage, %s." % rng.choice(SIDES)
        return "Interphone au nom de %s, %s étage." % (rng.choice(FIRST_NAMES), "1er" if floor == 1 else "%de" % floor)

    records = []          # every record, in creation order
    by_id = {}

    def make(collection, team, fields, note=""):
        rid = new_uuid(rng)
        rec = {"id": rid, "collection": collection, "team": team, "fields": dict(fields), "note": note}
        records.append(rec)
        by_id[rid] = rec
        return rec

    # Which records live in a shared building: 2 to 3 each, mixing offers and requests so that a
    # request and an offer of the same category sometimes share an address.
    building_slots = []
    for i, b in enumerate(buildings):
        n = 3 if i % 3 == 0 else 2
        cat = cats[i % len(cats)] if i % 2 == 0 else rng.choices(cats, weights)[0]
        if cat == "conversation":
            cat = "groceries"
        kinds = ["offer", "request", "request"][:n] if i % 2 == 0 else ["offer", "offer", "request"][:n]
        for kind in kinds:
            building_slots.append((kind, cat, b))
    building_offer_slots = [s for s in building_slots if s[0] == "offer"]
    building_request_slots = [s for s in building_slots if s[0] == "request"]

    def offer_or_request(kind, slot, typo):
        if slot is not None:
            cat, building = slot[1], slot[2]
        elif typo is not None:
            cat, building = typo[0], None
        else:
            cat, building = rng.choices(cats, weights)[0], None
        remote = building is None and rng.random() < REMOTE_SHARE.get(cat, 0.0)
        pool = OFFERS[cat] if kind == "offer" else REQUESTS[cat]
        title, details = rng.choice(pool)
        obo = None
        if kind == "request" and typo is None and cat in OBO_TEXT and rng.random() < OBO_SHARE:
            obo = rng.choice(ON_BEHALF).format(age=rng.randint(68, 96), woman=rng.choice(ELDER_WOMEN),
                                              man=rng.choice(ELDER_MEN))
            title, details = rng.choice(OBO_TEXT[cat])
            details = "Demande faite pour %s. %s" % (obo, details)
        if typo is not None:
            title = typo[2]
            details = next((d for t, d in pool if t == typo[3]), details)
        fields = {"category": cat, "remote": remote}
        if remote:
            team = rng.choice(TEAMS)
            extra = rng.choice(REMOTE_NOTE[kind])
        else:
            addr, lat, lon, pc, floor = place(rng, building)
            team = TEAM_OF_POSTCODE[pc]
            fields.update({"address": addr, "lat": lat, "lon": lon})
            if floor is not None:
                extra = floor_note(rng, floor)
            elif rng.random() < 0.25 and typo is None:
                title = "%s (%s)" % (title, QUARTER_OF_POSTCODE[pc])
                extra = ""
            else:
                extra = ""
        if kind == "offer":
            parts = [details, rng.choice(OFFER_AVAILABILITY), extra]
            r = rng.random()
            fields["status"] = "open" if r < 0.82 else ("paused" if r < 0.93 else "closed")
        else:
            r = rng.random()
            urgency = "low" if r < 0.25 else ("normal" if r < 0.78 else "high")
            fields["urgency"] = urgency
            if obo is not None:
                fields["on_behalf_of"] = obo
            parts = [details, rng.choice(URGENCY_NOTE[urgency]), extra]
            r = rng.random()
            fields["status"] = ("open" if r < 0.70 else "matched" if r < 0.82 else
                                "done" if r < 0.92 else "cancelled")
        if typo is not None:
            fields["status"] = "open"
        fields["title"] = title
        fields["details"] = " ".join(p for p in parts if p)
        fields["contact_name"] = person(rng)
        if rng.random() < 0.72:
            fields["phone"] = phone(rng)
        return make(kind, team, fields, note="typo" if typo else "")

    # Plan the 200 offers and 200 requests.
    N_OFFERS = N_REQUESTS = 200
    N_DUPLICATES = 2
    plan = []
    typo_offers = [t for t in TYPOS if t[1] == "offer"]
    typo_requests = [t for t in TYPOS if t[1] == "request"]
    for i in range(N_OFFERS - N_DUPLICATES):
        slot = building_offer_slots[i] if i < len(building_offer_slots) else None
        typo = typo_offers[i - len(building_offer_slots)] if 0 <= i - len(building_offer_slots) < len(typo_offers) else None
        plan.append(("offer", slot, typo))
    for i in range(N_REQUESTS):
        slot = building_request_slots[i] if i < len(building_request_slots) else None
        typo = typo_requests[i - len(building_request_slots)] if 0 <= i - len(building_request_slots) < len(typo_requests) else None
        plan.append(("request", slot, typo))
    rng.shuffle(plan)

    # Rounds and sign-ups.
    ROUNDS = [
        ("food-distribution", "2026-11-14", "Guillotière : place Gabriel-Péri et rue de Marseille", "Distribution alimentaire du samedi", "guillotiere"),
        ("maraude", "2026-11-18", "Presqu'île : de Perrache à Bellecour", "Maraude du mercredi soir", "guillotiere"),
        ("food-distribution", "2026-11-21", "Croix-Rousse : place de la Croix-Rousse", "Colis alimentaires des pentes", "croix-rousse"),
        ("maraude", "2026-12-02", "Part-Dieu : gare et rue de la Villette", "Maraude de nuit à la Part-Dieu", "part-dieu"),
        ("other", "2026-12-12", "Croix-Rousse : mairie du 4e", "Collecte de vêtements chauds", "croix-rousse"),
        ("food-distribution", "2026-12-19", "Part-Dieu : cours Lafayette", "Distribution de Noël", "part-dieu"),
    ]

    start = lyon_ms(2026, 11, 2, 9, 0, 0, 0) + rng.randrange(10 * 60_000)
    clock = Clock(rng, origin, start)
    cs = ChangeSet("lyon", origin)

    def emit_set(rec, stamp, fields=None):
        cs.set(rec["collection"], rec["id"], rec["team"], stamp, rec["fields"] if fields is None else fields)

    rounds = []
    for kind, date, area, title, team in ROUNDS:
        rec = make("round", team, {"kind": kind, "date": date, "area": area, "title": title, "status": "planned"})
        rounds.append(rec)
        emit_set(rec, clock.next(60, 400))

    signup_plan = [rounds[i % len(rounds)] for i in range(20)]
    rng.shuffle(signup_plan)
    items = [("or", p) for p in plan] + [("signup", r) for r in signup_plan]
    rng.shuffle(items)

    offers, requests, signups = [], [], []
    duplicates = []
    for what, payload in items:
        if what == "signup":
            rnd = payload
            f = {"round": rnd["id"], "volunteer": person(rng), "status": "confirmed"}
            if rng.random() < 0.6:
                f["phone"] = phone(rng)
            rec = make("signup", rnd["team"], f)
            signups.append(rec)
            emit_set(rec, clock.next(30, 540))
            continue
        kind, slot, typo = payload
        rec = offer_or_request(kind, slot, typo)
        (offers if kind == "offer" else requests).append(rec)
        emit_set(rec, clock.next(30, 540))
        # Two offers are posted twice by mistake, a few minutes apart; they are deleted later.
        if kind == "offer" and slot is None and typo is None and len(duplicates) < N_DUPLICATES \
                and len(offers) >= (40, 120)[len(duplicates)]:
            dup = make("offer", rec["team"], rec["fields"], note="duplicate")
            offers.append(dup)
            duplicates.append(dup)
            emit_set(dup, clock.next(60, 300, same_ms=0.0))

    # Matches: pair open requests with open offers of the same category, same address first.
    matchable_req = [r for r in requests if r["fields"]["status"] == "open" and r["note"] == ""]
    used_offers = set()
    pairs = []
    for r in matchable_req:
        cands = [o for o in offers if o["fields"]["category"] == r["fields"]["category"]
                 and o["fields"]["status"] == "open" and o["note"] == "" and o["id"] not in used_offers]
        same = [o for o in cands if o["fields"].get("address") and o["fields"].get("address") == r["fields"].get("address")]
        if same and len(pairs) < 3:
            pairs.append((r, same[0]))
            used_offers.add(same[0]["id"])
    for r in matchable_req:
        if len(pairs) >= 10:
            break
        if any(p[0] is r for p in pairs):
            continue
        cands = [o for o in offers if o["fields"]["category"] == r["fields"]["category"]
                 and o["fields"]["status"] == "open" and o["note"] == "" and o["id"] not in used_offers
                 and (o["team"] == r["team"] or o["fields"]["remote"] or r["fields"]["remote"])]
        if cands:
            o = cands[rng.randrange(len(cands))]
            pairs.append((r, o))
            used_offers.add(o["id"])
    pairs = pairs[:10]
    clock.jump(clock.ms + 40 * 60_000)
    matches = []
    notes = ["Mise en relation par téléphone.", "Même immeuble : rencontre prévue sur le palier.",
             "Premier contact prévu cette semaine.", "Proposé par la coordination, à confirmer.",
             "Les deux personnes se connaissent déjà.", "Rendez-vous fixé samedi matin."]
    for r, o in pairs:
        same_addr = r["fields"].get("address") and r["fields"].get("address") == o["fields"].get("address")
        note = notes[1] if same_addr else rng.choice([n for n in notes if n != notes[1]])
        rec = make("match", r["team"], {"request": r["id"], "offer": o["id"], "status": "proposed", "note": note})
        matches.append(rec)
        emit_set(rec, clock.next(60, 600))
    created_count = len(cs.changes)

    # ~30 later edits, from the morning of 6 November.
    clock.jump(lyon_ms(2026, 11, 6, 9, 12, 41, 207))
    edits = []

    def edit(rec, fields, why):
        stamp = clock.next(120, 1800)
        rec["fields"].update(fields)
        emit_set(rec, stamp, fields)
        edits.append((rec, fields, why))

    # Matches move on: 6 accepted (their request becomes matched), 2 of those done, 1 cancelled.
    for m in matches[:6]:
        edit(m, {"status": "accepted"}, "match accepted")
        edit(by_id[m["fields"]["request"]], {"status": "matched"}, "request matched")
    edit(matches[6], {"status": "cancelled", "note": "Annulé : la personne a trouvé de l'aide dans sa famille."},
         "match cancelled")
    for m in matches[:2]:
        edit(m, {"status": "done"}, "match done")
        edit(by_id[m["fields"]["request"]], {"status": "done"}, "request done")
    # Title fixes.
    typo_recs = [r for r in records if r["note"] == "typo"]
    for rec in typo_recs:
        fixed = next(t[3] for t in TYPOS if t[2] == rec["fields"]["title"])
        edit(rec, {"title": fixed}, "title fix")
    # Offers paused or closed.
    untouched = lambda r: r["note"] == "" and r["id"] not in used_offers and all(e[0] is not r for e in edits)
    open_offers = [o for o in offers if o["fields"]["status"] == "open" and untouched(o)]
    for o, st in zip(rng.sample(open_offers, 5), ["paused", "paused", "closed", "closed", "paused"]):
        edit(o, {"status": st}, "offer " + st)
    # A volunteer withdraws their phone number: the field is cleared (set to null).
    with_phone = [o for o in offers if o["fields"].get("phone") and untouched(o)]
    edit(rng.choice(with_phone), {"phone": None}, "phone cleared")
    # Sign-ups cancelled.
    for s in rng.sample(signups, 2):
        edit(s, {"status": "cancelled"}, "signup cancelled")
    # Rounds: one moved by a week, the first one done.
    edit(rounds[4], {"date": "2026-12-05"}, "round date moved")
    edit(rounds[0], {"status": "done"}, "round done")

    # 5 deletes on 7-8 November: the two duplicates, a withdrawn request, an offer, a sign-up.
    clock.jump(lyon_ms(2026, 11, 7, 10, 3, 17, 590))
    deleted = []
    edited_ids = {e[0]["id"] for e in edits}
    matched_ids = {m["fields"]["request"] for m in matches} | {m["fields"]["offer"] for m in matches}
    free = lambda r: r["id"] not in edited_ids and r["id"] not in matched_ids and r["note"] == ""
    victims = duplicates + [rng.choice([r for r in requests if free(r)]),
                            rng.choice([o for o in offers if free(o)]),
                            rng.choice([s for s in signups if free(s)])]
    for rec in victims:
        stamp = clock.next(600, 7200, same_ms=0.0)
        cs.delete(rec["collection"], rec["id"], rec["team"], stamp)
        deleted.append(rec)

    data = cs.to_bytes()
    write(os.path.join(HERE, "sample", "lyon.changeset"), data)

    # Figures for the README (counting what was generated, not merging).
    count = lambda coll: sum(1 for r in records if r["collection"] == coll)
    remote = sum(1 for r in records if r["collection"] in ("offer", "request") and r["fields"]["remote"])
    obo = sum(1 for r in requests if "on_behalf_of" in r["fields"])
    addr_count = {}
    for r in records:
        a = r["fields"].get("address") if r["note"] != "duplicate" else None
        if a:
            addr_count[a] = addr_count.get(a, 0) + 1
    shared_addrs = sorted(a for a, n in addr_count.items() if n > 1)
    first_stamp, last_stamp = cs.changes[0]["hlc"], cs.changes[-1]["hlc"]
    stats = {
        "origin": origin, "changes": len(cs.changes), "created": created_count, "edits": len(edits),
        "deletes": len(deleted), "offers": count("offer"), "requests": count("request"),
        "rounds": count("round"), "signups": count("signup"), "matches": count("match"),
        "remote": remote, "obo": obo, "shared": shared_addrs, "addr_count": addr_count,
        "streets": len(STREETS), "first": first_stamp, "last": last_stamp, "bytes": len(data),
        "per_cat": {c: sum(1 for r in records if r["collection"] in ("offer", "request")
                           and r["fields"]["category"] == c) for c in CATEGORIES},
        "per_team": {t: sum(1 for r in records if r["team"] == t) for t in TEAMS},
    }
    write(os.path.join(HERE, "sample", "README.md"), sample_readme(stats))
    return stats


def ms_text(h):
    ms = int(h, 16) >> 16
    local = ms + CET
    days, rem = divmod(local, DAY)
    # civil date from days (inverse of _days_from_civil)
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    return "%04d-%02d-%02d %02d:%02d (Lyon time)" % (y, m, d, rem // HOUR, rem % HOUR // 60_000)


def sample_readme(s):
    shared = "\n".join("- `%s` (%d records)" % (a, s["addr_count"][a]) for a in s["shared"])
    cats = ", ".join("`%s` %d" % (c, n) for c, n in s["per_cat"].items())
    teams = ", ".join("`%s` %d" % (t, n) for t, n in s["per_team"].items())
    return f"""# The Lyon sample

`lyon.changeset` is a realistic, entirely synthetic change-set for the tenant `lyon`: what the
city's replica could export (`boucle export --all`) after a first week of neighbourhood mutual aid
in November 2026. Use it to try the client (`boucle import Fixtures/sample/lyon.changeset`), to
test listing, matching, CSV and GeoJSON exports on realistic data, and to load a server.

**Every person in it is invented.** First names are common French first names picked at random;
the people on whose behalf requests are made ("sa mère, 84 ans") are invented too. Phone numbers
are invented, all of the form `06 39 98 xx xx`. The streets are real streets of Lyon and the
coordinates are on (or within about 50 m of) the named street, but no record describes a real
household.

## What it holds

- {s['changes']} change lines ({s['bytes']} bytes), all from one origin replica
  `{s['origin']}`, stamped from {ms_text(s['first'])} to {ms_text(s['last'])}.
- {s['created']} records, each created by one `set` change carrying all of its fields:
  {s['offers']} offers, {s['requests']} requests, {s['rounds']} rounds, {s['signups']} sign-ups and
  {s['matches']} matches (a request and an offer of the same category).
- then {s['edits']} later edits (`set` changes naming only the changed fields: status changes of
  matches, requests, offers, sign-ups and rounds, five title typo fixes, one phone number cleared
  with `null`),
- then {s['deletes']} `delete` changes (two offers posted twice by mistake, a withdrawn request,
  an offer and a sign-up).

Offers and requests by category: {cats}. Records by team: {teams}.
The teams follow the arrondissement: `croix-rousse` (1er, 4e, 5e, 9e), `guillotiere` (2e, 7e, 8e),
`part-dieu` (3e, 6e); remote records belong to any of them.

{s['remote']} offers and requests are remote (`"remote":true`, no `address`, `lat` or `lon`),
mostly conversation, homework and IT/paperwork help. {s['obo']} requests carry `on_behalf_of`.
Offers are mostly `open` (some `paused` or `closed`); requests mostly `open` (some `matched`,
`done` or `cancelled`); `urgency` is `low`, `normal` or `high`.

Addresses use {s['streets']} real streets across the nine arrondissements, written like
`12 rue Mercière, 69002 Lyon`. Several records share a building (same street and number, a
different flat mentioned in `details`) and then the same address text and coordinates, so that
address matching can be tested (`boucle match` lists same-address offers first):

{shared}

(The two offers posted twice also repeat an address; they are deleted at the end.)

Some stamps share their millisecond and differ by their counter (the low 16 bits of the `hlc`).

## How it was made

    python3 Fixtures/generate.py

The generator uses only Python's standard library and fixed seeds: running it again rewrites
the same bytes. It also writes `Fixtures/changesets/`, `Fixtures/malformed/` and
`Protocol/vectors/`. Edit the generator, not the generated files.
"""


# --------------------------------------------------------------------------- B. small change-sets

def gen_changesets():
    rng = random.Random(SEED + 1)
    laptop = new_uuid(rng)       # a field team's laptop
    coordinator = new_uuid(rng)  # the coordinator's replica
    newcomer = new_uuid(rng)     # a replica that has not joined a tenant yet
    offer1, offer2, request1 = new_uuid(rng), new_uuid(rng), new_uuid(rng)
    out = os.path.join(HERE, "changesets")

    t0 = lyon_ms(2026, 11, 2, 10, 15, 0, 0)
    cs = ChangeSet("lyon", laptop)
    cs.set("offer", offer1, "croix-rousse", (hlc(t0, 0), laptop), {
        "category": "groceries", "title": "Courses au marché de la Croix-Rousse",
        "details": "Je fais le marché du boulevard le mardi et le samedi ; je peux prendre votre liste.",
        "address": "84 grande rue de la Croix-Rousse, 69004 Lyon", "lat": 45.775671, "lon": 4.831022,
        "remote": False, "status": "open", "contact_name": "Claire", "phone": "06 39 98 12 34"})
    cs.set("offer", offer2, "croix-rousse", (hlc(t0, 1), laptop), {
        "category": "conversation", "title": "Appel hebdomadaire contre l'isolement",
        "details": "Un appel chaque jeudi après-midi, par téléphone, pour discuter.",
        "remote": True, "status": "open", "contact_name": "Mehdi"})
    write(os.path.join(out, "two-offers.changeset"), cs.to_bytes())

    t1 = lyon_ms(2026, 11, 3, 18, 40, 12, 500)
    cs = ChangeSet("lyon", coordinator)
    cs.set("offer", offer1, "croix-rousse", (hlc(t1, 0), coordinator),
           {"status": "paused", "title": "Courses au marché de la Croix-Rousse (le samedi)"})
    cs.delete("offer", offer2, "croix-rousse", (hlc(t1 + 60_000, 0), coordinator))
    write(os.path.join(out, "edit-and-delete.changeset"), cs.to_bytes())

    write(os.path.join(out, "empty-valid.changeset"), ChangeSet("lyon", laptop).to_bytes())

    t2 = lyon_ms(2026, 11, 4, 9, 5, 30, 0)
    cs = ChangeSet("", newcomer)
    cs.set("request", request1, "guillotiere", (hlc(t2, 0), newcomer), {
        "category": "it-paperwork", "title": "Dossier CAF à compléter",
        "details": "Dossier d'aide au logement à remplir en ligne, avec des justificatifs à scanner.",
        "address": "41 rue de Marseille, 69007 Lyon", "lat": 45.750412, "lon": 4.839301,
        "remote": False, "status": "open", "urgency": "normal", "contact_name": "Fatou",
        "on_behalf_of": "sa mère, 81 ans"})
    write(os.path.join(out, "unassigned-tenant.changeset"), cs.to_bytes())

    write(os.path.join(out, "README.md"), f"""# Small valid change-sets

Used by the CLI tests and the README tour. All are valid: every reader must accept them.
Regenerate with `python3 Fixtures/generate.py` (do not edit by hand: the trailer checksums
would no longer match).

| file | tenant | origin | content |
|---|---|---|---|
| `two-offers.changeset` | `lyon` | `{laptop}` (a field laptop) | two offers of team `croix-rousse`: `{offer1}` (groceries, with an address) and `{offer2}` (remote conversation); the two stamps share their millisecond and differ by their counter |
| `edit-and-delete.changeset` | `lyon` | `{coordinator}` (a coordinator) | later stamps: edits `status` and `title` of `{offer1}`, deletes `{offer2}` |
| `empty-valid.changeset` | `lyon` | `{laptop}` | header and trailer, 0 changes |
| `unassigned-tenant.changeset` | `""` | `{newcomer}` (a replica without a tenant) | one request `{request1}` of team `guillotiere` |

Importing `two-offers` then `edit-and-delete` (in either order) leaves `{offer1}` paused with its
new title and `{offer2}` deleted (a tombstone, no fields).
""")
    return {"two-offers": 2, "edit-and-delete": 2, "empty-valid": 0, "unassigned-tenant": 1}


# --------------------------------------------------------------------------- C. malformed change-sets

MALFORMED = [
    # (file, expected error substring, one-line description)
    ("empty.changeset", "is empty", "0 bytes."),
    ("garbage.changeset", "not a boucle change-set", "256 random bytes (seeded); the first byte is not `{`."),
    ("not-json-header.changeset", "not a boucle change-set", "the first line is `hello`; the rest is a well-formed body and trailer."),
    ("wrong-format.changeset", "not a boucle change-set", "header `format` is `other-format`."),
    ("truncated.changeset", "truncated", "a valid change-set cut in the middle of its second change line: no newline at the end, no trailer."),
    ("flipped-byte.changeset", "checksum", "one letter of a title changed (`chien` → `chiem`) after the checksum was computed; every line is still valid JSON."),
    ("bad-checksum.changeset", "checksum", "the trailer's `sha256` is 64 zeros."),
    ("wrong-count.changeset", "count", "the trailer says 4 changes; there are 3 (the checksum is right)."),
    ("wrong-version.changeset", "version 2", "header `version` is 2."),
    ("unknown-collection.changeset", "unknown collection", "a change in collection `pizza`."),
    ("unknown-field.changeset", "unknown field", "an offer that sets `colour`."),
    ("bad-type.changeset", "lat", "an offer whose `lat` is the string `\"north\"`."),
    ("after-trailer.changeset", "after the end", "a valid change-set followed by one more change line."),
    ("invalid-json.changeset", "invalid json", "a change line missing its closing brace (count and checksum right)."),
    ("bad-hlc.changeset", "hlc", "a change whose `hlc` is `xyz`."),
    ("bad-uuid.changeset", "id", "a change whose `id` is `1234`."),
    ("crlf.changeset", "line ending", "every line ended by `\\r\\n` (the checksum covers those bytes)."),
    ("bad-utf8.changeset", "utf-8", "a byte 0xff in place of a letter of a title (the checksum covers the bytes)."),
]


def gen_malformed():
    rng = random.Random(SEED + 2)
    origin = new_uuid(rng)
    out = os.path.join(HERE, "malformed")
    clean_dir(out, r".*\.changeset")
    t0 = lyon_ms(2026, 11, 5, 14, 0, 0, 0)
    ids = [new_uuid(rng) for _ in range(4)]
    team = "guillotiere"

    def st(i, c=0):
        return (hlc(t0 + i * 7_000, c), origin)

    def good_changes():
        return [
            set_obj("offer", ids[0], team, st(0), {
                "category": "pets", "title": "Promenade de chien le soir",
                "details": "Je promène votre chien le soir vers 19 h, une demi-heure.",
                "address": "41 rue de Marseille, 69007 Lyon", "lat": 45.750412, "lon": 4.839301,
                "remote": False, "status": "open", "contact_name": "Inès", "phone": "06 39 98 47 21"}),
            set_obj("request", ids[1], team, st(1), {
                "category": "groceries", "title": "Courses pour une voisine âgée",
                "details": "Ma voisine ne sort plus depuis sa chute ; des courses une fois par semaine.",
                "address": "41 rue de Marseille, 69007 Lyon", "lat": 45.750412, "lon": 4.839301,
                "remote": False, "status": "open", "urgency": "high", "contact_name": "Julien",
                "on_behalf_of": "ma voisine Odette, 89 ans"}),
            set_obj("offer", ids[2], team, st(2), {"status": "paused"}),
        ]

    hdr = header_obj("lyon", origin)

    def good_lines(header=None, changes=None):
        return [line(header or hdr)] + [line(c) for c in (changes or good_changes())]

    files = {}
    files["empty.changeset"] = b""
    garbage = bytearray(rng.getrandbits(8) for _ in range(256))
    if garbage[0] == ord("{"):
        garbage[0] = 0x00
    files["garbage.changeset"] = bytes(garbage)
    files["not-json-header.changeset"] = assemble([b"hello"] + good_lines()[1:], count=3)
    files["wrong-format.changeset"] = assemble(good_lines(header_obj("lyon", origin, fmt="other-format")))

    full = assemble(good_lines())
    lines = good_lines()
    cut = len(lines[0]) + 1 + len(lines[1]) + 1 + len(lines[2]) // 2
    files["truncated.changeset"] = full[:cut]

    flipped = bytearray(full)
    pos = full.index("Promenade de chien".encode())
    pos += len("Promenade de chie")
    assert flipped[pos:pos + 1] == b"n"
    flipped[pos:pos + 1] = b"m"
    files["flipped-byte.changeset"] = bytes(flipped)

    files["bad-checksum.changeset"] = assemble(good_lines(), sha="0" * 64)
    files["wrong-count.changeset"] = assemble(good_lines(), count=4)
    files["wrong-version.changeset"] = assemble(good_lines(header_obj("lyon", origin, version=2)))

    ch = good_changes()
    ch.insert(1, set_obj("pizza", ids[3], team, st(1, 1), {"title": "Margherita"}))
    files["unknown-collection.changeset"] = assemble(good_lines(changes=ch))

    ch = good_changes()
    ch[0]["set"]["colour"] = "rouge"
    ch[0]["set"] = {k: ch[0]["set"][k] for k in sorted(ch[0]["set"])}
    files["unknown-field.changeset"] = assemble(good_lines(changes=ch))

    ch = good_changes()
    ch[0]["set"]["lat"] = "north"
    files["bad-type.changeset"] = assemble(good_lines(changes=ch))

    extra = line(set_obj("offer", ids[0], team, st(5), {"status": "closed"})) + b"\n"
    files["after-trailer.changeset"] = full + extra

    lines = good_lines()
    assert lines[2].endswith(b"}}")
    lines[2] = lines[2][:-1]
    files["invalid-json.changeset"] = assemble(lines)

    ch = good_changes()
    ch[1]["hlc"] = "xyz"
    files["bad-hlc.changeset"] = assemble(good_lines(changes=ch))

    ch = good_changes()
    ch[1]["id"] = "1234"
    files["bad-uuid.changeset"] = assemble(good_lines(changes=ch))

    files["crlf.changeset"] = assemble(good_lines(), eol=b"\r\n")

    lines = good_lines()
    i = lines[2].index('"title":"Courses pour une voisine'.encode()) + len('"title":"Courses pour une voi')
    assert lines[2][i:i + 1] == b"s"
    lines[2] = lines[2][:i] + b"\xff" + lines[2][i + 1:]   # title "Courses pour une voi\xffine âgée"
    files["bad-utf8.changeset"] = assemble(lines)

    assert [m[0] for m in MALFORMED] == list(files) or set(m[0] for m in MALFORMED) == set(files)
    for name, _, _ in MALFORMED:
        write(os.path.join(out, name), files[name])
    write(os.path.join(out, "expected.tsv"),
          "file\terror\n" + "".join("%s\t%s\n" % (n, e) for n, e, _ in MALFORMED))
    rows = "\n".join("| `%s` | `%s` | %s |" % (n, e, d) for n, e, d in MALFORMED)
    write(os.path.join(out, "README.md"), f"""# Malformed change-sets

Every reader (client import, server push and import) must refuse each of these files whole,
change nothing, and give an error whose message contains, in lower case, the substring listed in
`expected.tsv` (`file<TAB>error`, one line per file after the header line). Apart from its one
defect, each file is built like a good change-set (tenant `lyon`, origin `{origin}`, an offer and a
request at the same address and an edit), with a correct trailer count and checksum unless the
count or the checksum is the point.

| file | error contains | defect |
|---|---|---|
{rows}

Regenerate with `python3 Fixtures/generate.py`.
""")
    return len(files)


# --------------------------------------------------------------------------- D. protocol vectors

def number_vectors():
    """Doubles at the edges of the canonical number layout, with their canonical JSON."""
    rng = random.Random(SEED + 8785)
    values = [0.0, 1.0, -1.0, 0.5, 0.1, 45.7627, 4.8344, -90.0, 90.0, -180.0, 180.0, 89.99999999999999,
              2.0 ** 53, 2.0 ** 53 + 2, -(2.0 ** 53), 2.0 ** 63, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
              333333333.3333332, 1e21 - 65536, 1e21, 1e-6, 1e-7, 0.000001234, 0.0000001234]
    for exponent in range(-12, 25):
        for mantissa in (1.0, 1.5, 9.999999999999998):
            values.append(float("%re%d" % (mantissa, exponent)))
    for _ in range(300):
        values.append(rng.uniform(-180, 180))
        values.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30))
    out = []
    for v in values:
        out.append({"input": repr(v), "canonical": canonical_number(v)})
    return out


A = "00000000-0000-4000-8000-00000000000a"
B = "00000000-0000-4000-8000-00000000000b"
C = "00000000-0000-4000-8000-00000000000c"
T0 = lyon_ms(2026, 11, 2, 10, 0, 0, 0)


def at(seconds, replica, counter=0, ms=0):
    """A stamp `seconds` after T0 (plus `ms` milliseconds), by `replica`."""
    return (hlc(T0 + seconds * 1000 + ms, counter), replica)


def reg(value, stamp):
    return [value, stamp_text(stamp)]


def record(rid, collection, team, fields=None, deleted=None):
    return {"id": rid, "collection": collection, "team": team,
            "deleted": stamp_text(deleted) if deleted else None,
            "fields": {k: fields[k] for k in sorted(fields or {})}}


def seed_records():
    """The nine seeded categories as canonical state records (SPEC section 1)."""
    seed = ("0000000000000000", "00000000-0000-0000-0000-000000000000")
    return [record(category_id(s), "category", "boucle", {"label": reg(CATEGORY_LABELS[s], seed), "slug": reg(s, seed)})
            for s in CATEGORIES]


def canonical_record(r):
    """A record's canonical line (SPEC section 3): id, collection, team, deleted, then its fields
    sorted by name."""
    return ('{"id":%s,"collection":%s,"team":%s,"deleted":%s,"fields":%s}'
            % tuple(canonical_json(r[k]) for k in ("id", "collection", "team", "deleted", "fields")))


MASK64 = (1 << 64) - 1


def siphash128(key, message):
    """SipHash-2-4 with a 128-bit output (the reference `siphash` with outlen 16), written here
    apart from the Swift one: the digests of the vectors check one against the other."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [0x736f6d6570736575 ^ k0, 0x646f72616e646f6d ^ k1 ^ 0xee, 0x6c7967656e657261 ^ k0, 0x7465646279746573 ^ k1]

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & MASK64

    def sipround():
        v[0] = (v[0] + v[1]) & MASK64; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK64; v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK64; v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK64; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)

    whole = len(message) // 8 * 8
    for i in range(0, whole, 8):
        m = int.from_bytes(message[i:i + 8], "little")
        v[3] ^= m; sipround(); sipround(); v[0] ^= m
    last = (len(message) & 0xff) << 56 | int.from_bytes(message[whole:], "little")
    v[3] ^= last; sipround(); sipround(); v[0] ^= last
    v[2] ^= 0xee
    for _ in range(4):
        sipround()
    low = v[0] ^ v[1] ^ v[2] ^ v[3]
    v[1] ^= 0xdd
    for _ in range(4):
        sipround()
    high = v[0] ^ v[1] ^ v[2] ^ v[3]
    return low | high << 64


assert siphash128(bytes(range(16)), b"").to_bytes(16, "little").hex() == "a3817f04ba25a8e66df67214c7550293"
assert siphash128(bytes(range(16)), bytes(range(3))).to_bytes(16, "little").hex() == "9c70b60c5267a94e5f33b6b02985ed51"


def state_digest(state):
    """SPEC section 3's state digest: the sum modulo 2^128 of each record's SipHash-2-4-128 (key
    "boucle digest v2") of its canonical line, the seed included; then SHA-256 of that sum (16
    bytes, big-endian) and the number of records (8 bytes, big-endian)."""
    by_id = {r["id"]: r for r in seed_records()}
    by_id.update({r["id"]: r for r in state})
    total = 0
    for record in by_id.values():
        total = (total + siphash128(b"boucle digest v2", canonical_record(record).encode("utf-8"))) % (1 << 128)
    return hashlib.sha256(total.to_bytes(16, "big") + len(by_id).to_bytes(8, "big")).hexdigest()


def vector_json(rule, description, state=None, error=None):
    out = '{\n  "rule": %s,\n  "description": %s,\n' % (dumps(rule), dumps(description))
    if error is not None:
        return out + '  "error": %s\n}\n' % dumps(error)
    state = sorted(state, key=lambda r: r["id"])
    return (out + '  "digest": %s,\n' % dumps(state_digest(state))
            + '  "state": [\n' + ",\n".join("    " + canonical_record(r) for r in state) + "\n  ]\n}\n")


def gen_vectors():
    rng = random.Random(SEED + 3)
    clean_dir(VECTORS, r"\d\d-[a-z0-9-]+")
    vectors = []

    def vec(name, rule, description, files, state=None, error=None):
        n = len(vectors) + 1
        d = os.path.join(VECTORS, "%02d-%s" % (n, name))
        for i, data in enumerate(files, 1):
            write(os.path.join(d, "%d.changeset" % i), data)
        write(os.path.join(d, "expected.json"), vector_json(rule, description, state, error))
        vectors.append(("%02d-%s" % (n, name), len(files), "error" if error else "state"))

    def cs(origin, *changes):
        return assemble([line(header_obj("test", origin))] + [line(c) for c in changes])

    def rid():
        return new_uuid(rng)

    def offer(title, category="groceries"):
        return {"category": category, "title": title, "status": "open", "remote": False}

    # 01 ------------------------------------------------------------------
    x = rid()
    c1 = at(0, B)
    c2 = at(60, A)
    vec("later-hlc-wins", "later hlc wins",
        "Two writes of one field: the one with the greater hlc wins, even from the smaller replica id (A < B).",
        [cs(B, set_obj("offer", x, "part-dieu", c1, offer("Courses du samedi"))),
         cs(A, set_obj("offer", x, "part-dieu", c2, {"title": "Courses du samedi matin"}))],
        [record(x, "offer", "part-dieu", {
            "category": reg("groceries", c1), "remote": reg(False, c1), "status": reg("open", c1),
            "title": reg("Courses du samedi matin", c2)})])

    # 02 ------------------------------------------------------------------
    x = rid()
    c1 = at(0, A)
    tie_a, tie_b = at(120, A), at(120, B)
    vec("equal-hlc-greater-replica-wins", "equal hlc broken by replica id",
        "A and B write the same field with the same hlc: B wins because its replica id is greater (byte order of the lowercase text).",
        [cs(A, set_obj("offer", x, "guillotiere", c1, offer("Promenade de chien", "pets")),
            set_obj("offer", x, "guillotiere", tie_a, {"title": "Promenade de chien le soir"})),
         cs(B, set_obj("offer", x, "guillotiere", tie_b, {"title": "Promenade de chien le matin"}))],
        [record(x, "offer", "guillotiere", {
            "category": reg("pets", c1), "remote": reg(False, c1), "status": reg("open", c1),
            "title": reg("Promenade de chien le matin", tie_b)})])

    # 03 ------------------------------------------------------------------
    x = rid()
    c1 = at(0, A)
    a2 = at(300, A, counter=2)          # same millisecond as b1, higher counter
    b1 = at(300, B, counter=1)
    bmax = at(400, B, counter=0xFFFF)   # greatest counter of a millisecond...
    anext = at(400, A, counter=0, ms=1)  # ...loses to the next millisecond
    vec("same-ms-higher-counter-wins", "counters: same ms, higher counter wins",
        "Same millisecond: counter 2 (replica A) beats counter 1 (replica B) although A < B. "
        "And counter 0xffff of a millisecond loses to counter 0 of the next one.",
        [cs(A, set_obj("offer", x, "croix-rousse", c1, offer("Soutien scolaire", "homework")),
            set_obj("offer", x, "croix-rousse", a2, {"status": "closed"}),
            set_obj("offer", x, "croix-rousse", anext, {"title": "Soutien scolaire en maths"})),
         cs(B, set_obj("offer", x, "croix-rousse", b1, {"status": "paused"}),
            set_obj("offer", x, "croix-rousse", bmax, {"title": "Soutien scolaire en français"}))],
        [record(x, "offer", "croix-rousse", {
            "category": reg("homework", c1), "remote": reg(False, c1), "status": reg("closed", a2),
            "title": reg("Soutien scolaire en maths", anext)})])

    # 04 ------------------------------------------------------------------
    x = rid()
    c1 = at(0, A)
    a_title = at(600, A)
    b_status = at(590, B)
    b_phone = at(600, B)
    vec("concurrent-writers-different-fields", "different fields from concurrent writers both survive",
        "A edits the title while B, concurrently and with an earlier or equal hlc, edits the status and the phone: "
        "each field keeps its own last write, nothing is lost at the record level.",
        [cs(A, set_obj("request", x, "part-dieu", c1, {"category": "pets", "title": "Sortir mon chien",
                                                       "status": "open", "urgency": "normal"})),
         cs(A, set_obj("request", x, "part-dieu", a_title, {"title": "Sortir mon chien le midi"})),
         cs(B, set_obj("request", x, "part-dieu", b_status, {"status": "matched"}),
            set_obj("request", x, "part-dieu", b_phone, {"phone": "06 39 98 31 07"}))],
        [record(x, "request", "part-dieu", {
            "category": reg("pets", c1), "phone": reg("06 39 98 31 07", b_phone),
            "status": reg("matched", b_status), "title": reg("Sortir mon chien le midi", a_title),
            "urgency": reg("normal", c1)})])

    # 05 ------------------------------------------------------------------
    x = rid()
    vec("delete-beats-earlier-edit", "delete beats an earlier edit",
        "A creates and edits a request; B deletes it later. The record keeps only its tombstone.",
        [cs(A, set_obj("request", x, "guillotiere", at(0, A), {"category": "groceries", "title": "Courses",
                                                               "status": "open", "on_behalf_of": "ma mère, 84 ans"})),
         cs(A, set_obj("request", x, "guillotiere", at(60, A), {"title": "Courses du jeudi"})),
         cs(B, delete_obj("request", x, "guillotiere", at(120, B)))],
        [record(x, "request", "guillotiere", deleted=at(120, B))])

    # 06 ------------------------------------------------------------------
    x = rid()
    vec("delete-beats-later-edit", "delete beats a later edit",
        "B deletes an offer; A, not knowing, edits it with a later stamp. The edit is dropped: the tombstone keeps no field.",
        [cs(A, set_obj("offer", x, "croix-rousse", at(0, A), offer("Impression d'attestations", "printing"))),
         cs(B, delete_obj("offer", x, "croix-rousse", at(60, B))),
         cs(A, set_obj("offer", x, "croix-rousse", at(3600, A), {"status": "paused", "title": "Impression de documents"}))],
        [record(x, "offer", "croix-rousse", deleted=at(60, B))])

    # 07 ------------------------------------------------------------------
    x, y = rid(), rid()
    vec("two-deletes-greater-tombstone", "two deletes keep the greater tombstone stamp",
        "Two replicas delete the same records: the greater stamp is kept as the tombstone, "
        "by hlc for the first record and, for the second, by replica id when the hlcs are equal.",
        [cs(A, set_obj("signup", x, "part-dieu", at(0, A), {"round": y, "volunteer": "Camille", "status": "confirmed"}),
            set_obj("round", y, "part-dieu", at(0, A, counter=1), {"kind": "maraude", "date": "2026-12-02", "status": "planned"})),
         cs(A, delete_obj("signup", x, "part-dieu", at(100, A)),
            delete_obj("round", y, "part-dieu", at(200, A))),
         cs(C, delete_obj("signup", x, "part-dieu", at(150, C)),
            delete_obj("round", y, "part-dieu", at(200, C)))],
        [record(x, "signup", "part-dieu", deleted=at(150, C)),
         record(y, "round", "part-dieu", deleted=at(200, C))])

    # 08 ------------------------------------------------------------------
    x = rid()
    c1 = at(0, A)
    clear = at(200, B)
    late_old = at(100, C)
    vec("null-clears-field-keeps-stamp", "null clears a field but keeps its stamp",
        "B sets phone and address to null: both are cleared and keep B's stamp (address was never set). "
        "C's older write of the phone, merged in any order, loses to the null.",
        [cs(A, set_obj("offer", x, "guillotiere", c1, {"category": "printing", "title": "J'imprime vos formulaires",
                                                       "status": "open", "phone": "06 39 98 55 10"})),
         cs(B, set_obj("offer", x, "guillotiere", clear, {"phone": None, "address": None})),
         cs(C, set_obj("offer", x, "guillotiere", late_old, {"phone": "06 39 98 55 11"}))],
        [record(x, "offer", "guillotiere", {
            "address": reg(None, clear), "category": reg("printing", c1), "phone": reg(None, clear),
            "status": reg("open", c1), "title": reg("J'imprime vos formulaires", c1)})])

    # 09 ------------------------------------------------------------------
    x, y = rid(), rid()
    once = cs(A,
              set_obj("offer", x, "croix-rousse", at(0, A), offer("Courses au marché")),
              set_obj("offer", x, "croix-rousse", at(30, A), {"status": "paused"}),
              set_obj("request", y, "croix-rousse", at(40, A), {"category": "other", "title": "Changer une ampoule",
                                                                "status": "open"}),
              delete_obj("request", y, "croix-rousse", at(50, A)))
    vec("same-changeset-twice", "the same change-set twice (idempotence)",
        "1.changeset and 2.changeset are the same bytes: merging a change-set again changes nothing.",
        [once, once],
        [record(x, "offer", "croix-rousse", {
            "category": reg("groceries", at(0, A)), "remote": reg(False, at(0, A)),
            "status": reg("paused", at(30, A)), "title": reg("Courses au marché", at(0, A))}),
         record(y, "request", "croix-rousse", deleted=at(50, A))])

    # 10 ------------------------------------------------------------------
    x = rid()
    t1, t2, t3, t4 = at(0, A), at(100, C), at(200, B), at(300, C)
    t3c = at(200, C)
    vec("three-replicas-one-record", "three files from three replicas editing the same record (associativity)",
        "A creates a request, B and C edit overlapping fields with interleaved stamps; "
        "the result does not depend on which two files are merged first.",
        [cs(A, set_obj("request", x, "guillotiere", t1, {
            "category": "homework", "title": "Aide aux devoirs", "details": "Élève de 4e.",
            "status": "open", "urgency": "normal", "on_behalf_of": "son fils, 13 ans"})),
         cs(B, set_obj("request", x, "guillotiere", t3, {"title": "Aide aux devoirs de maths", "status": "matched"})),
         cs(C, set_obj("request", x, "guillotiere", t2, {"title": "Devoirs", "urgency": "high"}),
            set_obj("request", x, "guillotiere", t3c, {"status": "done"}),
            set_obj("request", x, "guillotiere", t4, {"details": "Élève de 4e, surtout les fractions."}))],
        [record(x, "request", "guillotiere", {
            "category": reg("homework", t1), "details": reg("Élève de 4e, surtout les fractions.", t4),
            "on_behalf_of": reg("son fils, 13 ans", t1), "status": reg("done", t3c),
            "title": reg("Aide aux devoirs de maths", t3), "urgency": reg("high", t2)})])

    # 11 ------------------------------------------------------------------
    x = rid()
    c1, c2 = at(0, A), at(60, B)
    vec("team-conflict-smaller-team", "team conflict keeps the lexicographically smaller team",
        "A's changes name team part-dieu, B's name croix-rousse: the record's team is croix-rousse; the fields merge as usual.",
        [cs(A, set_obj("offer", x, "part-dieu", c1, offer("Montage de meubles", "other"))),
         cs(B, set_obj("offer", x, "croix-rousse", c2, {"status": "closed"}))],
        [record(x, "offer", "croix-rousse", {
            "category": reg("other", c1), "remote": reg(False, c1), "status": reg("closed", c2),
            "title": reg("Montage de meubles", c1)})])

    # 12 ------------------------------------------------------------------
    x = rid()
    vec("delete-unknown-record-tombstone", "a delete for a record never created leaves a tombstone",
        "B deletes a request this replica never saw: the record exists as a tombstone, with the collection and team the delete names.",
        [cs(B, delete_obj("request", x, "guillotiere", at(500, B)))],
        [record(x, "request", "guillotiere", deleted=at(500, B))])

    # 13 ------------------------------------------------------------------
    x = rid()
    g1, g2 = at(0, A), at(45, A)
    vec("set-changes-grouped-by-stamp", "set changes grouped by stamp",
        "One record exported as two set changes, one per stamp, with interleaved field names "
        "(the later group first in the file): each field keeps the stamp of its group.",
        [cs(A, set_obj("offer", x, "part-dieu", g2, {"category": "pets", "details": "Le soir vers 19 h.",
                                                     "lon": 4.8485, "remote": False, "title": "Promenade de chien le soir"}),
            set_obj("offer", x, "part-dieu", g1, {"address": "224 rue Duguesclin, 69003 Lyon", "contact_name": "Yanis",
                                                  "lat": 45.7627, "phone": "06 39 98 19 84", "status": "open"}))],
        [record(x, "offer", "part-dieu", {
            "address": reg("224 rue Duguesclin, 69003 Lyon", g1), "category": reg("pets", g2),
            "contact_name": reg("Yanis", g1), "details": reg("Le soir vers 19 h.", g2),
            "lat": reg(45.7627, g1), "lon": reg(4.8485, g2), "phone": reg("06 39 98 19 84", g1),
            "remote": reg(False, g2), "status": reg("open", g1),
            "title": reg("Promenade de chien le soir", g2)})])

    # 14 ------------------------------------------------------------------
    slug = "bike-repair"
    x = category_id(slug)
    c1, c2 = at(0, A), at(30, B)
    vec("category-same-slug-same-record", "a category's id is derived from its slug",
        "A and B add the category bike-repair independently: both derive the same id from the slug "
        "(SHA-256 of \"boucle-category:bike-repair\"), so they write one record and the later label wins.",
        [cs(A, set_obj("category", x, "part-dieu", c1, {"slug": slug, "label": "Réparation de vélos"})),
         cs(B, set_obj("category", x, "part-dieu", c2, {"slug": slug, "label": "Petites réparations de vélos"}))],
        [record(x, "category", "part-dieu", {
            "label": reg("Petites réparations de vélos", c2), "slug": reg(slug, c2)})])

    # 15 ------------------------------------------------------------------
    x = rid()
    same = at(0, A)
    vec("same-stamp-canonical-number-order", "of two values under one stamp, the greater canonical JSON wins",
        "A broken writer sends lat 0.00001 and lat 0.0002 under one stamp. Their canonical JSON (RFC 8785, "
        "SPEC section 3) is 0.00001 and 0.0002: the second is greater byte for byte, so it wins in any order.",
        [cs(A, set_obj("offer", x, "part-dieu", same, {"lat": 0.00001, "lon": 4.5})),
         cs(A, set_obj("offer", x, "part-dieu", same, {"lat": 0.0002, "lon": 4.5}))],
        [record(x, "offer", "part-dieu", {"lat": reg(0.0002, same), "lon": reg(4.5, same)})])

    # 16 ------------------------------------------------------------------
    x = category_id("pets")
    relabel = at(0, B)
    vec("seed-category-relabelled", "a real write beats the seed's stamp",
        "B relabels the default category pets (team boucle, SPEC section 1): its stamp beats the seed's, "
        "so the new label wins and the slug keeps the seed's stamp.",
        [cs(B, set_obj("category", x, "boucle", relabel, {"label": "Promenade d'animaux de compagnie"}))],
        [record(x, "category", "boucle", {"label": reg("Promenade d'animaux de compagnie", relabel),
                                           "slug": reg("pets", ("0000000000000000", "00000000-0000-0000-0000-000000000000"))})])

    # 17 ------------------------------------------------------------------
    x = rid()
    vec("version-one-point-zero", "the version is the number 1, however it is spelt",
        "The header says \"version\":1.0, which is the number 1: the change-set is read.",
        [assemble([line(header_obj("test", A)).replace(b'"version":1', b'"version":1.0'),
                   line(set_obj("offer", x, "part-dieu", at(0, A), offer("Courses")))])],
        [record(x, "offer", "part-dieu", {k: reg(v, at(0, A)) for k, v in offer("Courses").items()})])

    # Negative vectors ----------------------------------------------------
    x = rid()
    vec("refuse-collection-mismatch", "a change naming another collection than the record's is refused",
        "One file writes an id as an offer, then as a request: the whole change-set is refused and nothing changes.",
        [cs(A, set_obj("offer", x, "guillotiere", at(0, A), offer("Courses")),
            set_obj("request", x, "guillotiere", at(10, A), {"status": "open"}))],
        error="collection")

    x = rid()
    good = cs(A, set_obj("offer", x, "guillotiere", at(0, A), offer("Courses")))
    body = good[:good.rindex(b'{"end"')]
    bad = assemble(body.rstrip(b"\n").split(b"\n"), sha=hashlib.sha256(body + b"x").hexdigest())
    vec("refuse-bad-checksum", "a change-set whose checksum does not match is refused",
        "The trailer's sha256 is a well-formed digest, but not the one of the preceding bytes.",
        [bad], error="checksum")

    x = rid()
    vec("refuse-wrong-version", "a change-set of another version is refused",
        "The header says version 2.",
        [assemble([line(header_obj("test", A, version=2)),
                   line(set_obj("offer", x, "guillotiere", at(0, A), offer("Courses")))])],
        error="version 2")

    x = rid()
    vec("refuse-unknown-field", "a change naming a field its collection does not have is refused",
        "An offer sets \"urgency\", a field of requests only.",
        [cs(A, set_obj("offer", x, "guillotiere", at(0, A), dict(offer("Courses"), urgency="high")))],
        error="unknown field")

    x = rid()
    vec("refuse-empty-set", "a set change with an empty object is refused",
        "`set` is not empty (SPEC section 4).",
        [cs(A, set_obj("offer", x, "guillotiere", at(0, A), offer("Courses")),
            set_obj("offer", x, "guillotiere", at(10, A), {}))],
        error="empty")

    x = rid()
    vec("refuse-hlc-max-milliseconds", "an hlc whose milliseconds are 0xffffffffffff is malformed",
        "The hlc ffffffffffff0000 is refused.",
        [assemble([line(header_obj("test", A)),
                   line(set_obj("offer", x, "guillotiere", ("ffffffffffff0000", A), offer("Courses")))])],
        error="hlc")

    x = rid()
    vec("refuse-whitespace-before-header", "a change-set starts with the { of its header",
        "A space comes before the header line: JSON whitespace is allowed inside a line, not before the first.",
        [b" " + cs(A, set_obj("offer", x, "guillotiere", at(0, A), offer("Courses")))],
        error="does not start with")

    x = rid()
    vec("refuse-date-before-1970", "a date is a real calendar date from 1970-01-01 to 9999-12-31",
        "A round dated 1969-12-31.",
        [cs(A, set_obj("round", x, "guillotiere", at(0, A), {"kind": "maraude", "date": "1969-12-31"}))],
        error="date")

    vec("refuse-null-category-slug", "a category's slug is its identity and is never cleared",
        "A change sets the slug of category bike-repair to null.",
        [cs(A, set_obj("category", category_id("bike-repair"), "guillotiere", at(0, A), {"slug": None}))],
        error="slug")

    x = rid()
    vec("refuse-seed-writer-stamp", "only the nine seed categories carry the seed writer's stamp",
        "An offer stamped by replica 00000000-0000-0000-0000-000000000000, the seed's writer.",
        [cs(A, set_obj("offer", x, "guillotiere", ("0000000000000000", "00000000-0000-0000-0000-000000000000"), offer("Courses")))],
        error="seed")

    x = rid()
    vec("refuse-stamp-far-in-the-future", "a change stamped more than an hour ahead of the reader's clock is refused",
        "An offer stamped in the year 10889 (SPEC section 2, \"Stamps from the future\").",
        [cs(A, set_obj("offer", x, "guillotiere", (hlc(281_400_000_000_000), A), offer("Courses")))],
        error="ahead of this replica's clock")

    # The nine seeded categories, for tests of the id derivation.
    seeds = [{"id": category_id(s), "slug": s, "label": CATEGORY_LABELS[s]} for s in CATEGORIES]
    write(os.path.join(VECTORS, "seed-categories.json"),
          "[\n" + ",\n".join("  " + dumps(s) for s in seeds) + "\n]\n")

    numbers = number_vectors()
    write(os.path.join(VECTORS, "numbers.json"),
          "[\n" + ",\n".join("  " + dumps(n) for n in numbers) + "\n]\n")

    listing = "\n".join("| `%s` | %d | %s |" % (name, n, kind) for name, n, kind in vectors)
    write(os.path.join(VECTORS, "README.md"), f"""# Protocol test vectors

One directory per rule of [SPEC.md](../SPEC.md), named `NN-kebab-rule`. Each holds change-set files
`1.changeset`, `2.changeset`, … and `expected.json`. They are written by `Fixtures/generate.py`
(`python3 Fixtures/generate.py`), with the expected states written out by hand from the rules,
not computed by a merge implementation.

All change-sets use tenant `test` and the replica ids
`{A}` (A), `{B}` (B) and `{C}` (C); A < B < C in byte order. Each file's
`origin` is the replica whose changes it carries.

## `expected.json`

A **positive** vector:

```json
{{
  "rule": "later hlc wins",
  "description": "…",
  "state": [
    {{"id":"…","collection":"offer","team":"part-dieu","deleted":null,"fields":{{"title":["Courses","HLC@REPLICA"]}}}}
  ]
}}
```

`digest` is the state digest (SPEC section 3) of that state with the nine seeded categories: the
canonical lines, numbers and all, byte for byte. `state` lists the records in canonical JSON.

`state` is the canonical state after merging all the vector's files into an empty replica, in any
order: the records sorted by id, each with `id`, `collection`, `team`, `deleted` (the tombstone
stamp `"HLC@REPLICA"`, or `null`) and `fields` (name → `[value, "HLC@REPLICA"]`, sorted by name).
A deleted record has `"fields":{{}}`; a field set to `null` appears as `[null, "HLC@REPLICA"]`.
Each record is written on one line, in the canonical form of SPEC section 3. Only the records the
vector's files name are listed: the nine seeded categories every replica holds are left out
(compare the state less the seed, or the seed plus this list).

A **negative** vector has a single `1.changeset` and, instead of `state`,
`"error": "<substring>"`: the reader must refuse the change-set whole, its error message must
contain the substring (compare in lower case), and the replica must be left unchanged (empty).

## How the suite runs them

For a positive vector with n files, the suite merges the files into a fresh replica in **every
one of the n! orders**, and with repeats (files merged more than once, for instance each order
followed by the same order again); every run must end in exactly `state`. The suite runs every
vector, through the in-memory merge (`BoucleCoreTests`) and through the store
(`BoucleStoreTests`) alike.

`seed-categories.json` lists the nine default categories with the ids derived from their slugs
(SPEC section 1), to test the derivation.

`numbers.json` lists {len(numbers)} doubles (powers of ten around the layout's bounds, the limits of a
double, the `lat`/`lon` range, seeded random ones), each as `input` (a JSON number that reads to
it) and `canonical` (its canonical JSON, RFC 8785): the suite writes each input and compares.

| vector | files | expects |
|---|---|---|
{listing}
""")
    return vectors


# --------------------------------------------------------------------------- E. spreadsheets (CSV)

# The columns of `boucle export-csv`, in its fixed order.
CSV_COLUMNS = {
    "offer": ["id", "category", "title", "details", "address", "lat", "lon", "remote", "status",
              "contact_name", "phone"],
    "request": ["id", "category", "title", "details", "address", "lat", "lon", "remote", "status",
                "urgency", "on_behalf_of", "contact_name", "phone"],
}


def csv_cell(value, excel=False):
    """A value as `boucle export-csv` writes it: canonical numbers, true/false, "" when unset;
    quoted only when it holds a comma, a semicolon (either separator), a quote, CR or LF (quotes
    doubled). With `excel` (`export-csv --excel`), numbers have a decimal comma."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = str(int(value)) if value == int(value) and abs(value) < 2 ** 53 else repr(value)
        if excel:
            text = text.replace(".", ",")
    else:
        text = str(value)
    if any(c in text for c in ',;"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_bytes(columns, rows, excel=False):
    """Header and rows, each ended by LF (RFC 4180 quoting, as `boucle export-csv` writes); with
    `excel`, as French Excel saves "CSV UTF-8" (`export-csv --excel`): a byte order mark, `;`,
    decimal commas, CRLF."""
    separator, end = (";", "\r\n") if excel else (",", "\n")
    lines = [separator.join(columns)] + [separator.join(csv_cell(row.get(c), excel) for c in columns) for row in rows]
    return ("\ufeff" if excel else "").encode("utf-8") + (end.join(lines) + end).encode("utf-8")


def unicode_text_bytes(columns, rows):
    """What Excel's "Unicode text" writes: UTF-16 little-endian with a byte order mark, tabs
    between cells, CRLF."""
    lines = ["\t".join(columns)] + ["\t".join(csv_cell(row.get(c), True) for c in columns) for row in rows]
    return "\ufeff".encode("utf-16-le") + ("\r\n".join(lines) + "\r\n").encode("utf-16-le")


# Cells that exercise the quoting rules (quotes, commas, a line break), each put on a row with an
# address: the fields a row of that kind gets instead of its own.
CSV_SPECIALS = {
    "offer": [
        {"category": "masks", "title": 'Atelier "masques" du mardi',
         "details": "Je couds des masques en tissu lavables, aux normes AFNOR, à donner. Le mardi après-midi."},
        {"details": "Je passe nourrir et câliner votre chat chez vous.\nInterphone au nom de Bérénice, porte gauche au fond de la cour.",
         "category": "pets", "title": "Je garde votre chat pendant une hospitalisation"},
        {"contact_name": "Durand, Élodie"},
    ],
    "request": [
        {"category": "groceries", "title": 'Courses pour "Mamie Jo"',
         "details": "Ma voisine ne sort plus depuis sa chute ; il lui faudrait des courses une fois par semaine."},
        {"details": "4e étage sans ascenseur.\nSonner deux fois : elle entend mal.",
         "category": "groceries", "title": "Quelqu'un pour porter les packs d'eau"},
        {"on_behalf_of": "ma grand-mère, 91 ans, qui vit seule"},
    ],
}


def csv_rows(rng, kind, n):
    """n realistic Lyon rows of `kind`, sorted by id (the order of `boucle export-csv`)."""
    pool = OFFERS if kind == "offer" else REQUESTS
    cats = list(CATEGORY_WEIGHTS)
    weights = [CATEGORY_WEIGHTS[c] for c in cats]
    rows = []
    for i in range(n):
        # Every fifth row is remote help (no address, no coordinates), and a few more.
        if i % 5 == 3:
            cat, remote = rng.choice(sorted(REMOTE_SHARE)), True
        else:
            cat = rng.choices(cats, weights)[0]
            remote = rng.random() < REMOTE_SHARE.get(cat, 0.0) / 2
        title, details = rng.choice(pool[cat])
        row = {"id": new_uuid(rng), "category": cat, "title": title, "remote": remote}
        if remote:
            details += " " + rng.choice(REMOTE_NOTE[kind])
        else:
            address, lat, lon, _ = point_on(rng, STREETS[rng.randrange(len(STREETS))])
            row.update({"address": address, "lat": lat, "lon": lon})
        if kind == "offer":
            details += " " + rng.choice(OFFER_AVAILABILITY)
            r = rng.random()
            row["status"] = "open" if r < 0.75 else ("paused" if r < 0.9 else "closed")
        else:
            r = rng.random()
            urgency = "low" if r < 0.25 else ("normal" if r < 0.75 else "high")
            row["urgency"] = urgency
            details += " " + rng.choice(URGENCY_NOTE[urgency])
            r = rng.random()
            row["status"] = "open" if r < 0.7 else ("matched" if r < 0.85 else "done")
            if cat in OBO_TEXT and rng.random() < 0.4:
                obo = rng.choice(ON_BEHALF).format(age=rng.randint(68, 96), woman=rng.choice(ELDER_WOMEN),
                                                  man=rng.choice(ELDER_MEN))
                row["on_behalf_of"] = obo
        row["details"] = details
        row["contact_name"] = person(rng)
        if rng.random() < 0.7:
            row["phone"] = phone(rng)
        rows.append(row)
    located = [row for row in rows if not row["remote"]]
    for special, row in zip(CSV_SPECIALS[kind], located[1::7]):
        row.update(special)
    return sorted(rows, key=lambda r: r["id"])


def gen_csv():
    rng = random.Random(SEED + 10)
    out = os.path.join(HERE, "csv")
    offers = csv_rows(rng, "offer", 30)
    requests = csv_rows(rng, "request", 30)
    write(os.path.join(out, "offers.csv"), csv_bytes(CSV_COLUMNS["offer"], offers))
    write(os.path.join(out, "requests.csv"), csv_bytes(CSV_COLUMNS["request"], requests))
    write(os.path.join(out, "offers-excel.csv"), csv_bytes(CSV_COLUMNS["offer"], offers, excel=True))
    write(os.path.join(out, "offers-unicode-text.txt"), unicode_text_bytes(CSV_COLUMNS["offer"], offers[:5]))

    # bad-row.csv: the row starting on line 5 has a latitude as a GPS app writes it ("45.7619 N").
    # The row before it spans lines 3 and 4 (a newline inside a quoted cell).
    bad = [
        {"id": new_uuid(rng), "category": "groceries", "title": "Courses le samedi matin",
         "details": "Je fais le marché de la Croix-Rousse.", "address": "84 grande rue de la Croix-Rousse, 69004 Lyon",
         "lat": 45.775671, "lon": 4.831022, "remote": False, "status": "open", "contact_name": "Claire",
         "phone": phone(rng)},
        {"id": new_uuid(rng), "category": "pets", "title": "Promenade de chien le soir",
         "details": "Vers 19 h.\nUne demi-heure, dans le quartier.", "address": "41 rue de Marseille, 69007 Lyon",
         "lat": 45.750412, "lon": 4.839301, "remote": False, "status": "open", "contact_name": "Inès"},
        {"id": "", "category": "printing", "title": "J'imprime vos formulaires",
         "address": "12 rue Mercière, 69002 Lyon", "lat": "45.7619 N", "lon": 4.832, "remote": False,
         "status": "open", "contact_name": "Mehdi"},
        {"id": new_uuid(rng), "category": "conversation", "title": "Un coup de fil chaque matin",
         "remote": True, "status": "open", "contact_name": "Sophie", "phone": phone(rng)},
    ]
    write(os.path.join(out, "bad-row.csv"), csv_bytes(CSV_COLUMNS["offer"], bad))

    write(os.path.join(out, "README.md"), f"""# Spreadsheets (CSV)

Files for `boucle import-csv` and `boucle export-csv`, written by `Fixtures/generate.py`
(`python3 Fixtures/generate.py`; edit the generator, not the files). Every person is invented;
phone numbers are of the form `06 39 98 xx xx`; streets and coordinates are real places of Lyon.

They are written exactly as `boucle export-csv` writes (RFC 4180): UTF-8 without a byte order
mark, LF line ends, rows in id order after the header

- offers: `{",".join(CSV_COLUMNS["offer"])}`
- requests: `{",".join(CSV_COLUMNS["request"])}`

a cell quoted only when it holds a comma, a semicolon, a quote (doubled) or a line break, numbers in
canonical form, `true`/`false`, an unset field empty.
So importing one into an empty replica and exporting it again gives the same bytes:

    boucle import-csv offer Fixtures/csv/offers.csv
    boucle export-csv offer | cmp - Fixtures/csv/offers.csv

| file | content |
|---|---|
| `offers.csv` | {len(offers)} offers with ids; addresses (with a comma, so quoted), accents, a title with quotes, a contact name with a comma, details with a line break; remote rows have an empty `address`, `lat` and `lon` |
| `requests.csv` | {len(requests)} requests, the same way, with `urgency` and some `on_behalf_of` |
| `offers-excel.csv` | the same offers as French Excel saves "CSV UTF-8", and as `boucle export-csv offer --excel` writes them: a byte order mark, `;` between cells, decimal commas (`45,757776`), CRLF line ends. Imported, it gives the same records as `offers.csv` |
| `offers-unicode-text.txt` | five of them as Excel's "Unicode text" writes: UTF-16 with a byte order mark, tabs. `boucle import-csv` refuses it, saying how to save it as CSV UTF-8 |
| `bad-row.csv` | offers whose row starting on line 5 has `lat` written as a GPS app does (`45.7619 N`); the row before it spans lines 3 and 4. `boucle import-csv offer` refuses the whole file naming line 5 and `lat`, and imports nothing |
""")
    return {"offers": len(offers), "requests": len(requests)}


# --------------------------------------------------------------------------- main

def main():
    sample = gen_sample()
    small = gen_changesets()
    malformed = gen_malformed()
    vectors = gen_vectors()
    spreadsheets = gen_csv()
    print("sample: %d changes (%d records created, %d edits, %d deletes): %d offers, %d requests, "
          "%d rounds, %d signups, %d matches; %d remote, %d on behalf of someone; %d shared addresses"
          % (sample["changes"], sample["created"], sample["edits"], sample["deletes"], sample["offers"],
             sample["requests"], sample["rounds"], sample["signups"], sample["matches"], sample["remote"],
             sample["obo"], len(sample["shared"])))
    print("changesets: %s" % ", ".join("%s (%d)" % kv for kv in small.items()))
    print("malformed: %d files" % malformed)
    print("vectors: %d (%d positive, %d negative)" % (
        len(vectors), sum(1 for v in vectors if v[2] == "state"), sum(1 for v in vectors if v[2] == "error")))
    print("csv: %d offers, %d requests, their Excel forms, bad-row.csv" % (spreadsheets["offers"], spreadsheets["requests"]))
    print("%d files written" % len(WRITTEN))


if __name__ == "__main__":
    main()
