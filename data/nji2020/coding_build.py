"""Build data/nji2020/interventions.csv and review_findings.csv from the NJI (2020) text
(seed 000_d6eb5ec40b6ce6bc.txt).  Values are read from the lines cited in `source`;
sentences are verbatim (checked against the seed when the path is given)."""

import csv
import sys

SRC = "NJI (2020) Wat werkt, seed 000_d6eb5ec40b6ce6bc.txt"
KV = f"{SRC}, lines 232-245 (Klaassen-Vermaat et al., 2015)"
EV = f"{SRC}, line 253 (Evenboer et al., 2018)"
ER_IPT = f"{SRC}, line 263 (erkend, december 2019)"
ER_BEH = f"{SRC}, line 266 (erkend, december 2019)"
OTHER = f"{SRC}, line 268"

# name, group, erkend, kv_included, kv_max_effect, evenboer_included, evenboer_conclusion, rct_evidence, notes, source
ROWS = [
    ("Families First", "IPT", "yes", "yes", "large", "yes",
     "effect sizes consistently large across studies; studied only with pre- and post-measurements (less evidence than MST)",
     "no RCT noted (pre-post studies only, Evenboer et al. 2018)", "specifically for families in an acute crisis", f"{KV}; {EV}; {ER_IPT}"),
    ("Families First – LVG", "IPT (licht verstandelijke beperking)", "not stated", "yes", "large", "no", "", "", "", KV),
    ("Intensieve Ambulante Gezinsbehandeling (IAG)", "IPT", "yes", "no", "", "yes",
     "effect sizes varied from small to large", "", "", f"{EV}; {ER_IPT}"),
    ("Gezin Centraal", "IPT", "yes", "yes", "large", "yes", "effect sizes varied from small to large", "", "", f"{KV}; {EV}; {ER_IPT}"),
    ("HouVast", "IPT (licht verstandelijke beperking)", "yes", "no", "", "no", "", "", "for families with parents with a mild intellectual disability", ER_IPT),
    ("Systeemgerichte Gezinscoaching", "IPT (licht verstandelijke beperking)", "yes", "no", "", "no", "", "", "for families with parents with a mild intellectual disability", ER_IPT),
    ("Intensieve Orthopedagogische Gezinsbegeleiding (IOG)", "IPT", "not stated", "yes", "large", "no", "", "", "", KV),
    ("Intensieve Orthopedagogische Gezinsbegeleiding – Erger voorkomen", "IPT", "not stated", "yes", "medium", "no", "", "", "", KV),
    ("Intensieve Orthopedagogische Gezinsbegeleiding – LVG (IOG-LVG)", "IPT (licht verstandelijke beperking)", "not stated", "yes", "medium", "no", "", "", "", KV),
    ("10 voor Toekomst", "IPT", "not stated", "yes", "none known", "yes", "effect sizes varied from small to large", "", "Evenboer et al. name it '10 voor de toekomst'", f"{KV}; {EV}"),
    ("Multisysteemtherapie (MST)", "behaviour-focused with family component", "yes", "yes", "medium", "yes",
     "effect sizes consistently large; more evidence than for Families First because studied in good RCTs",
     "RCTs (Klaassen-Vermaat et al. 2015: among the 4 of 23 RCT studies; Evenboer et al. 2018)",
     "Klaassen-Vermaat et al.: effect sizes up to large when only the experimental group's pre-post data are used", f"{KV}; {EV}; {ER_BEH}"),
    ("Multidimensionele Familietherapie (MDFT)", "behaviour-focused with family component", "yes", "yes", "conflicting in source", "yes",
     "effect sizes varied from small to large", "",
     "the NJI text lists MDFT both among interventions with no known effect size and among those reaching at most a medium effect",
     f"{KV}; {EV}; {ER_BEH}"),
    ("Multidimensionele Familietherapie – LVG", "behaviour-focused with family component", "not stated", "yes", "", "no", "", "",
     "not placed in an effect-size category in the NJI text", KV),
    ("Parent Management Training Oregon (PMTO)", "behaviour-focused with family component", "not stated", "yes", "large", "yes",
     "effect sizes varied from small to large", "", "", f"{KV}; {EV}"),
    ("Stepping Stones Triple P", "behaviour-focused with family component", "not stated", "yes", "none known", "yes",
     "effect sizes varied from small to large", "RCT (Klaassen-Vermaat et al. 2015: among the 4 of 23 RCT studies)", "", f"{KV}; {EV}"),
    ("Triple P niveau 4-5", "behaviour-focused with family component", "not stated", "no", "", "yes",
     "effect sizes varied from small to large", "", "", EV),
    ("Functionele Familie Therapie (FFT)", "not stated", "not stated", "yes", "none known", "yes",
     "effect sizes varied from small to large", "", "", f"{KV}; {EV}"),
    ("Praktisch Pedagogische Gezinsbegeleiding (PPG) – intensieve variant", "not stated", "not stated", "yes", "small", "yes",
     "effect sizes varied from small to large", "", "Evenboer et al. name it 'Praktische Pedagogische Gezinsbegeleiding (PPG)'", f"{KV}; {EV}"),
    ("Parent Child Interaction Therapy (PCIT)", "behaviour-focused with family component", "yes", "no", "", "no", "", "", "", ER_BEH),
    ("Stop Nu Ander Plan (SNAP)", "behaviour-focused with family component", "yes", "no", "", "no", "", "", "", ER_BEH),
    ("NIKA", "other", "not stated", "no", "", "no", "", "",
     "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated", OTHER),
    ("School2Care", "other", "not stated", "no", "", "no", "", "",
     "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated", OTHER),
    ("Bemoezorg in de JGZ", "other", "not stated", "no", "", "no", "", "",
     "listed as 'andersoortige programma's' in the section on recognised interventions; recognition not stated", OTHER),
]

# review, finding, value, value_low, value_high, unit, sentence (verbatim), line
FINDINGS = [
    ("Veerman, Janssens & Delicat (2005)", "IPT forms studied in the meta-analysis", 17, None, None, "programmes",
     "In een meta-analyse van Veerman, Janssens en Delicat (2005), werden zeventien vormen van Intensieve Pedagogische Thuishulp (IPT) in Nederland onderzocht.", 224),
    ("Al et al. (2012)", "foreign effect studies included, all with a control group", 20, None, None, "studies",
     "In totaal namen zij twintig buitenlandse effectstudies mee, allen met een controlegroep.", 226),
    ("Al et al. (2012)", "studies reporting family functioning", 3, None, None, "studies",
     "Kanttekening is dat alle studies als uitkomstmaat uithuisplaatsing hadden, terwijl slechts drie studies informatie gaven over het functioneren van het gezin.", 226),
    ("Al et al. (2012)", "studies specifically on families with multiple and complex problems", 12, None, None, "studies",
     "In twaalf van deze studies betrof de doelgroep specifiek gezinnen met meervoudige en complexe problemen.", 226),
    ("Klaassen-Vermaat et al. (2015)", "articles included", 23, None, None, "articles",
     "Zij namen 23 artikelen in hun overzichtsstudie op waarin veertien interventies werden onderzocht", 232),
    ("Klaassen-Vermaat et al. (2015)", "interventions studied", 14, None, None, "interventions",
     "Zij namen 23 artikelen in hun overzichtsstudie op waarin veertien interventies werden onderzocht", 232),
    ("Klaassen-Vermaat et al. (2015)", "studies using an RCT", 4, None, None, "studies (of 23)",
     "In slechts 4 van de 23 studies werd gebruik gemaakt van een RCT.", 234),
    ("Evenboer et al. (2018)", "studies found", 26, None, None, "studies",
     "Zij zochten naar studies die gepubliceerd waren tussen januari 2005 en april 2017 en vonden 26 studies naar 11 interventies", 253),
    ("Evenboer et al. (2018)", "interventions studied", 11, None, None, "interventions",
     "Zij zochten naar studies die gepubliceerd waren tussen januari 2005 en april 2017 en vonden 26 studies naar 11 interventies", 253),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "publications found", 8377, None, None, "publications",
     "In totaal werden 8377 publicaties gevonden, waarvan uiteindelijk 47 publicaties werden opgenomen", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "publications included", 47, None, None, "publications",
     "In totaal werden 8377 publicaties gevonden, waarvan uiteindelijk 47 publicaties werden opgenomen", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "reduction of stress in children across studies (Cohen's d range)", None, 0.19, 1.19, "Cohen's d",
     "zo varieert de afname van stress bij kinderen tussen onderzoeken van een kleine afname tot een zeer grote afname (Cohen's $d = 0.19-1.19$)", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "recidivism of child maltreatment, lowest study (Huebner et al., 2008)", 6.5, None, None, "% of families",
     "zo vindt één onderzoek bij slechts 6,5% van de gezinnen recidive (Huebner et al., 2008)", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "recidivism of child maltreatment, highest study (Chaffin, Bard, Hecht & Silovsky, 2011)", 40, None, None, "% of families",
     "terwijl een ander onderzoek recidive vindt bij 40% van de gezinnen (Chaffin, Bard, Hecht en Silovsky, 2011)", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "children placed out of home at closure of IPT (average; 'ruim' = somewhat over)", 9, None, None, "% of children",
     "Bij afsluiting van IPT blijkt dat gemiddeld ruim 9% van de kinderen uit huis geplaatst is.", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "children placed out of home six months after closure (average)", 15, None, None, "% of children",
     "Een half jaar na afsluiting is gemiddeld 15% van de kinderen uit huis geplaatst", 255),
    ("Van Assen, Knot-Dickscheit, Post & Grietens (2019)", "children placed out of home one year after closure (average; 'bijna' = almost)", 21, None, None, "% of children",
     "een jaar na afsluiting is dit bijna 21%.", 255),
]


def main(seed=None):
    text = open(seed, encoding="utf-8").read().split("\n") if seed else None
    with open("data/nji2020/interventions.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["intervention", "group", "erkend_dec2019", "klaassen_vermaat_2015_included",
                    "klaassen_vermaat_2015_max_effect", "evenboer_2018_included", "evenboer_2018_conclusion",
                    "rct_evidence", "notes", "source"])
        w.writerows(ROWS)
    with open("data/nji2020/review_findings.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["review", "finding", "value", "value_low", "value_high", "unit", "sentence", "source"])
        for rev, fnd, v, lo, hi, unit, sent, line in FINDINGS:
            if text is not None:
                assert sent in text[line - 1], (line, sent[:40])
            w.writerow([rev, fnd, "" if v is None else v, "" if lo is None else lo, "" if hi is None else hi, unit, sent,
                        f"{SRC}, line {line}"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
