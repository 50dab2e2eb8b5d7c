"""Build data/findings/findings.csv: one row per claim that Holwerda et al. (2014) make in
chapter 4 (4.1-4.9) and in 7.1, 7.2 and 7.4, and that the NJI text (2020) makes in its
sections 1-4.  Run from the repository root:

    python data/findings/build_findings.py ../shared/seeds

How a claim is taken from the seed
    Each claim is given by its document, seed line range and the first and last words of the
    claim (``start`` ... ``end``); the script cuts the claim from those lines, so ``claim_nl``
    is verbatim (lines joined with one space; in the NJI text the markdown emphasis marks "*"
    are dropped).  ``strength_nl`` (the strength of evidence in the source's own words) is
    likewise cut from the seed (``s_start`` ... ``s_end`` in lines ``s_lines``, default the
    claim's lines).  The script stops if a phrase is not found.

What is coded (by the coder, written beside the claim)
    ``claim_en_translation``: a literal English translation by the coder (a translation, not
    a source text); ``claim_type``; ``intervention_or_factor``, ``population`` ("for whom";
    empty = all families with multiple problems), ``outcome`` (empty = not named); and
    ``direction`` of the claim as the source states it: positive / none / negative / mixed /
    unknown; empty for claims that are not about an effect (descriptions of the evidence).
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from coding_common import cli_args, write_rows  # noqa: E402

DOCS = {"holwerda2014": ("003_169077222a0c6c24.txt", "Holwerda, Jansen & Reijneveld (2014)"),
        "nji2020": ("000_d6eb5ec40b6ce6bc.txt", "Nederlands Jeugdinstituut (2020), Wat werkt in de hulp aan gezinnen met meervoudige en complexe problemen?")}

F = ["finding_id", "source_document", "section", "claim_nl", "claim_en_translation", "claim_type",
     "intervention_or_factor", "population", "outcome", "direction", "strength_nl", "strength_lines", "first_line",
     "last_line", "source"]

# (id, doc, section, first, last, start, end, english, type, factor, population, outcome, direction,
#  (s_start, s_end) or None, s_lines or None)
H, N = "holwerda2014", "nji2020"
CLAIMS = [
    ("H-4.1-01", H, "4.1", 1253, 1269, "De interventies voor multiprobleemgezinnen", "armoedebestrijding (n=2).",
     "The interventions for multi-problem families described in the scientific literature (n articles=47) are: Families First (n=2), Webster-Stratton parenting program (n=2), Family Check Up (n=2), Family Partnership Programme (n=2), SafeCare (n=3) and Parent-Child Interaction Therapy (n=5) (see appendix 5 = overview of included studies). Other interventions for multi-problem families concern: interventions by home visiting (home-visitation: n=21), specialised family support teams (n=1), neighbourhood-oriented (community-building) projects (n=4), case management (n=1), interventions delivered at school or in pre-school care (n=2) and programmes aimed at providing basic needs (income, housing, etc.) and fighting poverty (n=2).",
     "evidence base", "intervention types (Holwerda's count, 4.1)", "", "", "", None, None),
    ("H-4.2-01", H, "4.2", 1283, 1289, "Aan het sociaaleconomisch", "onderbelicht in de literatuur.",
     "The socio-economic functioning of the multi-problem families, on the other hand, received hardly any attention in the articles. The outcome measures work, income, education, housing and social support are underexposed in the literature.",
     "not known", "", "", "work, income, education, housing, social support", "", None, None),
    ("H-4.3-01", H, "4.3", 1301, 1305, "Er zijn weinig kwalitatief goede studies", "(12,28,46) (zie bijlage 5).",
     "Few studies of good quality were found and the effects found of interventions for multi-problem families are in general small (12,28,46) (see appendix 5).",
     "effect", "interventions for multi-problem families", "", "", "positive", ("Er zijn weinig kwalitatief goede studies gevonden", "over het algemeen klein"), None),
    ("H-4.3-02", H, "4.3", 1305, 1307, "Er is daarnaast een aantal interventies", "(6,8,9,16,20,22,23,43,44).",
     "In addition, a number of interventions are described whose effectiveness has been insufficiently established (6,8,9,16,20,22,23,43,44).",
     "effect", "nine described interventions", "", "", "unknown", ("effectiviteit onvoldoende is vastgesteld", "effectiviteit onvoldoende is vastgesteld"), None),
    ("H-4.3-03", H, "4.3", 1307, 1310, "Het aantal studies dat geen", "effecten (73).",
     "The number of studies that find no significant results is considerably larger than the number of studies with significant effects (73).",
     "effect", "interventions for multi-problem families", "", "", "none", ("aanzienlijk groter dan het aantal studies met significante effecten", "aanzienlijk groter dan het aantal studies met significante effecten"), None),
    ("H-4.3-04", H, "4.3", 1310, 1312, "Daarnaast gaat het vaak", "vaak beperkt (28).",
     "Moreover, it often concerns an effect on one or a limited number of outcome measures. The overall impact on parenting skills and family functioning in general is often limited (28).",
     "effect", "interventions for multi-problem families", "", "parenting skills; family functioning", "positive", ("is vaak beperkt", "is vaak beperkt"), None),
    ("H-4.3-05", H, "4.3", 1328, 1328, "- Ondersteuning en begeleiding", "door middel van huisbezoeken;",
     "- Support and guidance of the family by means of home visits; [listed as a promising element, of which it has not yet been sufficiently proven whether it is actually effective]",
     "promising element", "home visits", "", "", "positive", ("Van deze elementen is echter nog onvoldoende bewezen", "daadwerkelijk effectief zijn"), "1316-1326"),
    ("H-4.3-06", H, "4.3", 1330, 1332, "- Opbouwen van een vertrouwensrelatie", "van het gezin;",
     "- Building a relationship of trust with the family and putting the needs of the family at the centre; [promising element, not yet sufficiently proven]",
     "promising element", "relationship of trust; family's needs central", "", "", "positive", ("Van deze elementen is echter nog onvoldoende bewezen", "daadwerkelijk effectief zijn"), "1316-1326"),
    ("H-4.3-07", H, "4.3", 1334, 1336, "- Trainen van vaardigheden", "kindvriendelijke omgeving;",
     "- Training skills in parenting, communication within the family and problem solving, health, housekeeping and providing a child-friendly environment; [promising element, not yet sufficiently proven]",
     "promising element", "skills training", "", "", "positive", ("Van deze elementen is echter nog onvoldoende bewezen", "daadwerkelijk effectief zijn"), "1316-1326"),
    ("H-4.4-01", H, "4.4", 1372, 1378, "De interventie had een sterk effect", "controlegroep (2-56%).",
     "The intervention had a strong effect on access to services, with the families in the intervention making considerably more use of services (91%) than the control group (33%). The needs of families in the intervention group were met considerably better (83-99%) than in the control group (2-56%).",
     "effect", "Child FIRST: care coordinator linking the family to services (Lowell et al.)", "inner-city poor multi-problem families with at least one child under 3", "access to services", "positive", ("een sterk effect", "een sterk effect"), None),
    ("H-4.4-02", H, "4.4", 1431, 1433, "De belangrijkste conclusie uit het artikel", "voorzieningen.",
     "The main conclusion of the article is that case management in this programme was not effective in linking families to the available services.",
     "effect", "case management (Comprehensive Child Development Program, Goodson et al.)", "low-income multi-problem families", "linking to services", "none", ("niet effectief", "niet effectief"), None),
    ("H-4.4-03", H, "4.4", 1449, 1453, "Op de vraag of er interventies", "voor multiprobleemgezinnen.",
     "The question whether interventions are described in the literature in which an explicit role is given to a case manager can be answered in the affirmative (13,16). There is, however, insufficient evidence on the effectiveness of such interventions for multi-problem families.",
     "not known", "case manager", "", "", "unknown", ("onvoldoende evidence", "onvoldoende evidence"), None),
    ("H-4.5-01", H, "4.5", 1459, 1467, "Zowel in de wetenschappelijke", "dergelijke interventies.",
     "Neither in the scientific nor in the grey literature were 'non-obvious' interventions found. Most interventions were variants of home-based guidance and/or aimed at parenting skills. The interventions with a different angle had limited outcome measures. On this basis no 'out-of-the-box' interventions emerge and it is not possible to make a statement about the possible effectiveness of such interventions.",
     "not known", "out-of-the-box interventions", "", "", "unknown", ("niet mogelijk een uitspraak te doen", "niet mogelijk een uitspraak te doen"), None),
    ("H-4.6-01", H, "4.6", 1520, 1526, "Uit bovenstaande blijkt", "van die interventie.",
     "From the above it appears that intensive interventions for families are often more costly than usual care during the intensive care period. The financial returns of the effects found are sometimes difficult to map. The societal gain may in time be higher than the societal costs of that intervention.",
     "cost", "intensive interventions", "", "costs", "unknown", ("kan op termijn hoger zijn", "kan op termijn hoger zijn"), None),
    ("H-4.7-01", H, "4.7", 1534, 1538, "Uit de geïncludeerde artikelen bleek", "caseload hebben (76);",
     "From the included articles it appeared that interventions based on family guidance at the families' homes are more effective if: - the professionals involved have a sufficiently low/not too high caseload (76);",
     "effect modifier", "low caseload of the professional", "", "", "positive", ("effectiever zijn als", "effectiever zijn als"), None),
    ("H-4.7-02", H, "4.7", 1540, 1544, "- gebruik wordt gemaakt van een intensieve", "geen effect (22);",
     "- use is made of an intensive intervention with more visits (73,77,78). Another study, however, found an opposite effect (79) and yet another study found no effect (22);",
     "effect modifier", "intensity: more visits", "", "", "mixed", ("Een andere studie vond echter een tegengesteld effect", "geen effect"), None),
    ("H-4.7-03", H, "4.7", 1546, 1550, "- gebruik wordt gemaakt van een interventie die langer", "geen effect (22,76);",
     "- use is made of an intervention that lasts longer than half a year (73,77,79). Another study, however, found an opposite effect of a longer duration of the intervention (78) and yet another study no effect (22,76);",
     "effect modifier", "duration longer than half a year", "", "", "mixed", ("Een andere studie vond echter een tegengesteld effect", "geen effect"), None),
    ("H-4.7-04", H, "4.7", 1552, 1552, "- multiprobleemgezinnen in hoge mate", "interventie (77);",
     "- multi-problem families are involved in the intervention to a high degree (77);",
     "effect modifier", "high family involvement", "", "", "positive", None, None),
    ("H-4.7-05", H, "4.7", 1554, 1554, "- moeders al voor de geboorte", "interventie (73);",
     "- mothers are already approached for the intervention before the birth (73);",
     "effect modifier", "starting before birth", "mothers", "", "positive", None, None),
    ("H-4.7-06", H, "4.7", 1556, 1556, "- de interventie gericht is op empowerment", "(12,77);",
     "- the intervention is aimed at empowerment and has an own-strength approach (12,77);",
     "effect modifier", "empowerment / own-strength approach", "", "", "positive", None, None),
    ("H-4.7-07", H, "4.7", 1560, 1564, "- de interventie voorziet in de (materiële/financiële)", "(22,26)",
     "- the intervention provides for the (material/financial) basic needs of the family, for example in the area of housing, work, education, maintenance of the house and household appliances, etc. (22,26)",
     "effect modifier", "providing basic material/financial needs", "", "", "positive", None, None),
    ("H-4.7-08", H, "4.7", 1566, 1566, "- er een component van sociale steun", "verwerkt (77);",
     "- a social support component is incorporated in the intervention (77);",
     "effect modifier", "social support component", "", "", "positive", None, None),
    ("H-4.7-09", H, "4.7", 1568, 1570, "- de betrokken (para)professionals", "(7,35,43,73);",
     "- the (para)professionals involved are sufficiently trained to meet the needs of the families they help (7,35,43,73);",
     "effect modifier", "trained (para)professionals", "", "", "positive", None, None),
    ("H-4.7-10", H, "4.7", 1572, 1574, "- de interventie gericht is op een specifiek", "(8,38,73,79).",
     "- the intervention is aimed at a specific problem instead of at several problems at the same time (8,38,73,79).",
     "effect modifier", "focus on a specific problem", "", "", "positive", None, None),
    ("H-4.7-11", H, "4.7", 1576, 1580, "Over het algemeen blijkt het lastig", "uitkomstmaten (78).",
     "In general it appears difficult to indicate which elements make an intervention successful (78). No single intervention characteristic produced a consistently positive effect across different outcome measures (78).",
     "not known", "intervention characteristics", "", "", "mixed", ("lastig aan te geven", "lastig aan te geven"), None),
    ("H-4.8-01", H, "4.8", 1593, 1597, "Uit de literatuur blijkt onder andere", "in deze groep (11).",
     "The literature shows, among other things, that interventions have less effect in respondents with a low socio-economic status (18,77,79) or even have a negative effect in this group (11).",
     "effect modifier", "low socio-economic status of the family", "families with low socio-economic status", "", "negative", ("minder effect", "zelfs"), None),
    ("H-4.8-02", H, "4.8", 1597, 1601, "Daarnaast is de kans dat deze respondenten", "(31,34).",
     "In addition, the chance that these respondents drop out is greater; respondents who followed the intervention completely had a higher income and a higher level of education (31,34).",
     "barrier", "drop-out", "families with low socio-economic status", "", "", None, None),
    ("H-4.8-03", H, "4.8", 1603, 1609, "Motivatie van de deelnemers", "van de interventie (40).",
     "Motivation of the participants is also an important factor for the success of interventions (33,40). Participants with a long history of care had a smaller chance of being motivated for an intervention, with the consequence that they also had less chance of a positive effect of the intervention (40).",
     "effect modifier", "motivation; long history of care", "participants with a long history of care", "", "negative", None, None),
    ("H-4.8-04", H, "4.8", 1611, 1617, "De beperkte effectiviteit", "(16,31,43).",
     "The limited effectiveness of the interventions found is moreover attributed to the large drop-out of multi-problem families from care (44,48). Many families do start the intervention and are included in the study, but drop out during the trajectory, and this has consequences for the measured effectiveness (16,31,43).",
     "barrier", "drop-out from care", "", "", "", None, None),
    ("H-4.9-01", H, "4.9", 1623, 1623, "Naast primaire studies", "reviews gevonden.",
     "Besides primary studies, 9 relevant reviews were also found.",
     "evidence base", "reviews", "", "", "", None, None),
    ("H-4.9-02", H, "4.9", 1633, 1643, "MacLeod en Nelson", "sociaaleconomische status (77).",
     "MacLeod and Nelson examined the effect of interventions aimed at increasing family well-being and preventing child maltreatment (77). A positive effect was related to intensity (at least 12 visits) and duration (at least half a year) of the intervention. Moreover, interventions based on empowerment and with high involvement of the families and a social support component were more effective than interventions without these components. The interventions were less effective for families with a low socio-economic status (77).",
     "effect modifier", "intensity (at least 12 visits) and duration (at least half a year); empowerment; involvement; social support", "families; less effective for low socio-economic status", "child maltreatment; family well-being", "positive", None, None),
    ("H-4.9-03", H, "4.9", 1645, 1651, "Sweet en Appelbaum", "(78).",
     "Sweet and Appelbaum found positive effects of home-guidance interventions on a number of outcomes, such as cognitive development, parenting behaviour, child maltreatment and mother's education, but not on parenting stress, child social-emotional development, parents' attitudes towards parenting and work and benefits (78).",
     "effect", "home visiting", "families with young children", "cognitive development, parenting behaviour, maltreatment, mother's education (positive); parenting stress, social-emotional development, parenting attitudes, work and benefits (none)", "mixed", None, None),
    ("H-4.9-04", H, "4.9", 1653, 1661, "Barlow et al. onderzochten", "kindermishandeling.",
     "Barlow et al. examined in their review the effects of parenting programmes on child maltreatment and neglect (80). The results show that there is insufficient evidence to use these parenting programmes for reducing child maltreatment and neglect. There is, however, limited evidence that some of these programmes have an effect on some outcomes related to child maltreatment.",
     "effect", "parenting programmes", "parents with a history of physical abuse or neglect", "child maltreatment and neglect", "unknown", ("onvoldoende bewijs", "beperkt bewijs"), None),
    ("H-4.9-05", H, "4.9", 1663, 1671, "Johnson et al. rapporteerden", "follow-up (84).",
     "Johnson et al. reported in their review the effects of parent training and parenting programmes for families in contact with child protection. The majority of included studies found some positive effects for families in the area of 'caregiving environment' directly after the intervention, but most effects disappeared at follow-up (84).",
     "effect", "parent training and parenting programmes", "families in contact with child protection", "caregiving environment", "mixed", None, None),
    ("H-4.9-06", H, "4.9", 1672, 1682, "Een review met een focus", "zijn gevonden (81).",
     "A review with a focus on socio-economic outcomes besides psychosocial outcomes found a positive effect of financial support (with obligations and sanctions) on work, but no effect for the psychosocial outcome measures (81,83). The authors add the remark that forcing families into low-paid work in an intervention possibly leads to more stigma and stress instead of reducing them, and that therefore no positive effects on the psychosocial outcome measures were found (81).",
     "effect", "financial support with obligations and sanctions", "poor or disadvantaged families", "work (positive); psychosocial outcomes (none)", "mixed", None, None),
    ("H-4.9-07", H, "4.9", 1684, 1692, "O’Reilly et al. onderzochten", "een beperking.",
     "O'Reilly et al. examined the effect of family-focused interventions for preventing child maltreatment (85). All interventions examined yielded inconsistent effects. Although intensive home treatment aimed at preventing out-of-home placement yielded more positive results, the focus on outcome measures relating to child maltreatment is a limitation.",
     "effect", "family-focused interventions", "", "child maltreatment", "mixed", ("inconsistente effecten", "inconsistente effecten"), None),
    ("H-4.9-08", H, "4.9", 1694, 1704, "Peacock et al. onderzochten", "multiprobleemgezinnen (73).",
     "Peacock et al. examined the effect of home-guidance interventions on child outcomes and found positive effects on preventing child maltreatment (if the guidance starts prenatally), the cognitive development of the child and preventing/reducing behaviour problems. However, many more studies without significant effects than with significant effects were found. The interventions moreover had only limited effect on improving the lives of the children in multi-problem families (73).",
     "effect", "paraprofessional home visiting", "disadvantaged families with children 0-6", "maltreatment (prenatal start), cognitive development, behaviour problems", "positive", ("veel meer studies zonder significante", "slechts beperkt"), None),
    ("H-4.9-09", H, "4.9", 1706, 1724, "Al et al. vonden", "werden gevonden.",
     "Al et al. found in their review of the effectiveness of intensive home treatment ('intensive family preservation programs') a medium positive effect on family functioning, but not on preventing out-of-home placement of children (76). The effect was influenced by family characteristics and the caseload of the professionals, but not by the integrity in applying the intervention model and the duration of the intervention. The negative association between the size of the caseload and the effect could mean that a more intensive form of help facilitates positive intervention effects, because a lower caseload gives the professional the chance to spend more time per family. In addition, smaller or negative effects were found in the studies of higher quality, while in studies of lower quality positive effects were found.",
     "effect", "intensive family preservation programmes", "families with maltreatment and multi-problem families", "family functioning (positive); placement prevention (none)", "mixed", ("lagere of negatieve effecten gevonden in de studies van hogere kwaliteit", "lagere of negatieve effecten gevonden in de studies van hogere kwaliteit"), None),
    ("H-4.9-10", H, "4.9", 1726, 1730, "Miller et al. onderzochten", "(82).",
     "Miller et al. examined the effect of home-delivered interventions aimed at the development of the young child in disadvantaged families and found no evidence of an effect on the development of the child (82).",
     "effect", "home-based child development interventions", "disadvantaged families with young children", "child development", "none", ("geen bewijs", "geen bewijs"), None),
    ("H-7.1-01", H, "7.1", 2960, 2966, "De meeste interventies voor multiprobleemgezinnen", "uitgevoerd.",
     "Most interventions for multi-problem families are based on (intensive) home guidance (n=30) and/or training of parenting skills (n=8). In addition, a number of interventions were described that are given at an agency's office as parent training (n=8). Two interventions were delivered from the primary school.",
     "evidence base", "intervention types (Holwerda's count, 7.1)", "", "", "", None, None),
    ("H-7.1-02", H, "7.1", 2990, 3000, "Er zijn weinig kwalitatief goede studies", "beperkt.",
     "Few studies of good quality were found and the effects found of interventions for multi-problem families are in general small. The number of studies that find no significant results is considerably larger than the number of studies with significant effects. Moreover, it often concerns an effect on one or a limited number of outcome measures. The overall impact on parenting skills and family functioning in general is often limited.",
     "effect", "interventions for multi-problem families", "", "", "positive", ("weinig kwalitatief goede studies", "over het algemeen klein"), None),
    ("H-7.1-03", H, "7.1", 3020, 3022, "Er is echter geen stevige evidence", "multiprobleemgezinnen.",
     "There is, however, no solid evidence on the cost-effectiveness of broad interventions for multi-problem families.",
     "not known", "broad interventions", "", "cost-effectiveness", "unknown", ("geen stevige evidence", "geen stevige evidence"), None),
    ("H-7.1-04", H, "7.1", 3027, 3043, "Interventies die gebruik maken van meer bezoeken", "kunnen doorbrengen.",
     "Interventions that use more visits (thus higher intensity) and that last longer than half a year, in which multi-problem families are involved to a high degree in the intervention and the intervention is aimed at empowerment and own strength and learning new skills, in which the intervention provides for the (material/financial) basic needs of the family, and in which social support for the family is mobilised, have a greater chance of positive effects. In addition, it is important that the professionals involved are sufficiently trained to meet the needs of the families they help and that these professionals have such a caseload that they can spend much time with the families.",
     "effect modifier", "more visits; longer than half a year; involvement; empowerment; basic needs; social support; trained professionals; caseload", "", "", "positive", ("hebben een grotere kans op positieve effecten", "hebben een grotere kans op positieve effecten"), None),
    ("H-7.1-05", H, "7.1", 3051, 3067, "In de geïncludeerde artikelen worden", "in de interventie.",
     "The included articles name various risk factors and barriers due to which interventions do not have the intended effect. The literature shows, among other things, that interventions have less effect in respondents with a low socio-economic status or even have a negative effect in this group. In addition, the chance that these respondents drop out is greater. Motivation of the participants is therefore an important factor for the success of interventions. Many families do start the intervention and are included in the study, but drop out during the trajectory, and this has consequences for the measured effectiveness. For an intervention to be effective, the professionals involved will have to be alert to engaging and retaining multi-problem families in the intervention.",
     "effect modifier", "low socio-economic status; drop-out; motivation", "families with low socio-economic status", "", "negative", ("minder effect", "zelfs een negatief effect"), None),
    ("H-7.2-01", H, "7.2", 3072, 3082, "Uit deze studie met betrekking", "voorafgaand aan de hulpverlening;",
     "From this study on effective help for multi-problem families it appears that the multi-problem-family intervention below fits best with the promising elements that are frequently mentioned in both the scientific and the grey literature. This intervention: - uses a comprehensive assessment of the family's situation with regard to the different life domains prior to the help;",
     "model intervention", "comprehensive assessment before help", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), None),
    ("H-7.2-02", H, "7.2", 3084, 3092, "- voorziet in langdurige ondersteuning", "één contact per maand;",
     "- provides long-term support of the family with varying intensity (planned and unplanned visits and at irregular times), with several visits a week in the first half year. After this half year - when the problems are under control and intensive guidance is no longer needed - the visits are slowly reduced to, for example, one contact a month;",
     "model intervention", "intensity: several visits a week in the first half year, then tapering to e.g. one contact a month; long-term", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-03", H, "7.2", 3094, 3096, "- is gericht op het hele gezin", "leefomgeving van het gezin;",
     "- is aimed at the whole family/all family members; - takes place in the home situation or living environment of the family;",
     "model intervention", "whole family; at home", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-04", H, "7.2", 3098, 3100, "- biedt hulp op alle relevante", "materiële hulp;",
     "- offers help in all relevant life domains; - offers practical, material help where needed;",
     "model intervention", "help in all life domains; practical material help", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-05", H, "7.2", 3111, 3113, "- gaat uit van één gezin, één plan, één professional", "doorzettingsmacht heeft;",
     "- is based on one family, one plan, one professional, the latter having, as a consistent factor for the family, the direction and mandate/power to push through;",
     "model intervention", "one family, one plan, one professional", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-06", H, "7.2", 3123, 3125, "- voorziet in nazorg/follow-up", "(maximaal 12 maanden);",
     "- provides aftercare/follow-up: after the end of the intervention the same professional now and then contacts the family to see how things are going (at most 12 months);",
     "model intervention", "aftercare by the same professional (at most 12 months)", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-07", H, "7.2", 3127, 3135, "- voorziet in een lage caseload", "met minder problemen);",
     "- provides a low caseload and sufficient hours per family (5-10 families per full-time professional), depending on the problems of the family and the family composition (at most 5 families per professional for large families with considerable behaviour problems and complex problems in several life domains and at most 10 families per professional for smaller families with fewer problems);",
     "model intervention", "caseload 5-10 families per full-time professional", "", "", "positive", ("het beste aansluit bij de veelbelovende elementen", "het beste aansluit bij de veelbelovende elementen"), "3072-3076"),
    ("H-7.2-08", H, "7.2", 3183, 3191, "Adequate training van de betrokken", "het grootst.",
     "Adequate training of the professionals involved and peer consultation during the delivery of the intervention is essential for an effective delivery of the intervention. If the above intervention with its characteristics and professionals is carried out, the chance of successful outcomes for the participating families is greatest.",
     "model intervention", "training and peer consultation of professionals", "", "", "positive", ("is essentieel", "het grootst"), None),
    ("H-7.4-01", H, "7.4", 3238, 3244, "Er is onvoldoende kennis", "worden geboekt.",
     "There is insufficient knowledge to determine which care is most effective for these families. It is clear, however, that by helping these families get their problems under control a large gain in health and participation can be made.",
     "not known", "which care is most effective", "", "", "unknown", ("onvoldoende kennis", "onvoldoende kennis"), None),
    ("N-1-01", N, "1", 83, 83, "Vanuit de aanbiedende organisatie", "La Valle, 2008).",
     "From the providing organisation this shows, for example, in making sufficient funding available, a low caseload (fewer than ten clients per professional) and training the professionals well (van der Steege & Zoon, 2017; Holwerda, Reijneveld & Jansen, 2014; Dawe, Harnett & Frye, 2008; White, Warrener, Reeves & La Valle, 2008).",
     "working factor", "low caseload (fewer than ten clients per professional); funding; training", "", "", "positive", ("geven aan dat", "van belang is"), None),
    ("N-1-02", N, "1", 89, 89, "Daarbij is het goed om op te merken", "praktijkervaringen.",
     "In doing so it is good to note that only few elements in the treatment of families with multiple and complex problems are 'evidence-based' (van Yperen, Scholte & Visscher, 2019). They are mainly still 'possibly effective elements' that emerge from research and practice experience.",
     "not known", "working factors (section 1)", "", "", "unknown", ("nog maar weinig elementen", "'mogelijk werkzame elementen'"), None),
    ("N-1.1-01", N, "1.1", 93, 93, "Daarom is het van belang een vaste hulpverlener", "telefoonnummer te krijgen.",
     "Therefore it is important to have a fixed professional who is available and easy to reach (Steketee et al., 2015). As the guideline 'Multi-problem families' (Van der Steege & Zoon, 2017) states: the families should get one fixed point of contact, one fixed professional, with one telephone number.",
     "working factor", "one fixed professional", "", "", "positive", ("het van belang", "het van belang"), None),
    ("N-1.1-02", N, "1.1", 95, 102, "De onderzoekers concluderen dat een vaste hulpverlener", "regie naar andere instellingen voeren).",
     "The researchers conclude that a fixed professional: - Has a flexible working attitude (and no predetermined order of intervention strategies). - Is available and reachable. - Sets limits. - Stays involved with the family as long as necessary. - Works outreaching (going to the family, taking an active stance in maintaining contact with the family). - Arranges one family one plan (among other things being the point of contact for the family, the network around the family and for agencies; making arrangements accessible to the family; directing other institutions).",
     "working factor", "one family one plan", "", "", "positive", ("Aan de studie namen 18 gezinnen", "De onderzoekers concluderen"), "95-95"),
    ("N-1.2-01", N, "1.2", 116, 116, "Uit allerlei literatuur blijkt", "Scholte, 2017).",
     "All kinds of literature show that help is more effective if clients contribute actively to the decision-making process and if there is a positive and constructive alliance between the help-seeker and the professional (see for example Bartelink, Meuwissen & Eijgenraam, 2017 and De Greef, Pijnenburg, Van Hattum, McLeod & Scholte, 2017).",
     "working factor", "working alliance; client participation in decisions", "", "", "positive", ("Uit allerlei literatuur blijkt", "Uit allerlei literatuur blijkt"), None),
    ("N-1.3-01", N, "1.3", 162, 162, "Uit verschillende onderzoeken blijkt", "Lee et al., 2014).",
     "Various studies show that intensive help - contact between professional and family several times a week, and the family therapist being present at times when the problems occur - works best in the home situation for families with multiple and complex problems (Veerman, De Meyer & Roosma, 2007; Van der Steege, 2007; Van der Steege & Zoon, 2017; Lee et al., 2014).",
     "working factor", "intensive help at home: contact several times a week", "", "", "positive", ("Uit verschillende onderzoeken blijkt", "het beste werkt"), None),
    ("N-1.3-02", N, "1.3", 162, 162, "Wat betreft de intensiteit", "Knot-Dickscheit, 2019).",
     "As regards the intensity of the help, there seems to be increasing support for the need for a flexible offer - both in duration and in the degree of support (Knorth & Knot-Dickscheit, 2019).",
     "working factor", "flexible intensity and duration", "", "", "positive", ("lijkt er wel steeds meer ondersteuning", "lijkt er wel steeds meer ondersteuning"), None),
    ("N-1.3-03", N, "1.3", 164, 164, "Problemen in de basis", "kan gaan werken.",
     "Basic problems, such as debts or housing problems, should be solved first before one can start working on other problems, such as parenting problems.",
     "working factor", "solving basic problems (debts, housing) first; practical help", "", "", "", None, None),
    ("N-1.3-04", N, "1.3", 193, 193, "Alle gezinsleden krijgen hulp.", "White et al., 2008).",
     "All family members receive help. The whole family must be involved in the changes that take place through the intervention. This moreover helps to determine more clearly where the causes of the problems within the family lie (Holwerda et al., 2014; White et al., 2008).",
     "working factor", "whole family receives help", "", "", "positive", None, None),
    ("N-1.3-05", N, "1.3", 194, 194, "Zoals eerder benadrukt", "Steketee et al., 2015).",
     "As emphasised earlier, there is individual direction here: one professional is responsible for the family and one plan per family (Konijn, 2006; Orobio de Castro et al., 2002; Steketee & Vandenbroucke, 2010; Steketee et al., 2015).",
     "working factor", "one professional responsible, one plan per family", "", "", "positive", None, None),
    ("N-1.3-06", N, "1.3", 202, 202, "Juist omdat in deze gezinnen", "Holwerda et al., 2014).",
     "Precisely because in these families the problems are often passed on from one generation to the next, support over longer periods with more integrated services is promising (Evenboer et al., 2018; Tausendfreund et al., 2016; Holwerda et al., 2014).",
     "working factor", "longer support with integrated services; aftercare", "", "", "positive", ("veelbelovend", "veelbelovend"), None),
    ("N-1.4-01", N, "1.4", 210, 210, "Stut en steun model:", "intensieve begeleiding nodig.",
     "Prop-and-support model: Families in which there is a chronic, persistent and problematic situation, due to which they have difficulty organising daily life, need long-term and intensive guidance.",
     "approach per type of family", "long-term intensive guidance", "families in a chronic, persistent problem situation", "", "", ("op basis van praktijkervaringen van hulpverleners", "op basis van praktijkervaringen van hulpverleners"), "206-206"),
    ("N-1.4-02", N, "1.4", 208, 208, "Orde op zaken model:", "voorhanden zijn.",
     "Put-things-in-order model: Vulnerable families with one or more risk factors who may become excluded and threaten to get into problems mainly need an approach in which they are taught to gain access to services. Coordination of services and institutions must be available for this.",
     "approach per type of family", "learning access to services; coordination", "vulnerable families with one or more risk factors", "", "", ("op basis van praktijkervaringen van hulpverleners", "op basis van praktijkervaringen van hulpverleners"), "206-206"),
    ("N-2-01", N, "2", 224, 224, "De onderzoekers vonden dat", "(RCT)).",
     "The researchers found that after the end of the help, the externalising problems of young people and the parenting burden experienced by parents had decreased. The researchers cautiously conclude that IPT seems to work, but that this cannot be said with certainty (since, for example, none of the Dutch methods had been studied with a randomized controlled trial (RCT)).",
     "effect", "Intensive Pedagogical Home Help (IPT), Netherlands (Veerman, Janssens & Delicat, 2005)", "", "externalising problems; parenting burden", "positive", ("concluderen voorzichtig", "niet met zekerheid te zeggen valt"), None),
    ("N-2-02", N, "2", 226, 226, "De auteurs vonden geen algemeen", "functioneren van het gezin.",
     "The authors found no overall significant effect of IPT on out-of-home placement. When, however, controlling for families with multiple and complex problems, a significant effect was found. This means that when IPT is used with families with multiple and complex problems, there is a reduction in the number of times a child is placed out of home. In the meta-analysis a significant effect of IPT on family functioning was further found. This means that in families where IPT was used there was an improvement in family functioning.",
     "effect", "intensive family preservation (IPT) (Al et al., 2012)", "families with multiple and complex problems (placement); all (family functioning)", "out-of-home placement; family functioning", "mixed", ("slechts drie studies informatie gaven over het functioneren van het gezin", "slechts drie studies informatie gaven over het functioneren van het gezin"), None),
    ("N-2-03", N, "2", 234, 234, "In slechts 4 van de 23 studies", "daardoor zwak.",
     "In only 4 of the 23 studies an RCT was used. These were studies of Multisystemic Therapy and Stepping Stones Triple P. The other studies were change research with pre- and post-measurements. The design of many studies turned out not to be strong and the evidential strength is therefore weak.",
     "evidence base", "interventions available in the Netherlands (Klaassen-Vermaat et al., 2015)", "", "", "", ("de bewijskracht is daardoor zwak", "de bewijskracht is daardoor zwak"), None),
    ("N-2-04", N, "2", 253, 253, "Effectgroottes varieerden", "Families First alleen via voor- en nametingen).",
     "Effect sizes varied from small to large (not only between studies of different interventions but also between studies of the same intervention). The effect sizes for Families First and MST were consistently large across different studies. Bearing in mind the quality of the studies, the researchers conclude that there is more evidence for MST than for Families First (since the former has been studied in good RCTs and Families First only via pre- and post-measurements).",
     "effect", "Families First; Multisystemic Therapy (Evenboer et al., 2018)", "", "behaviour problems of the child; parenting stress", "positive", ("Met oog voor de kwaliteit van de studies", "meer bewijs is voor MST dan voor Families First"), None),
    ("N-2-05", N, "2", 255, 255, "Tot slot lijkt", "niet te voorkomen.",
     "Finally - on the basis of a limited number of comparisons with usual care - IPT seems on average not to prevent out-of-home placement in the long term.",
     "effect", "intensive family preservation (IPT) (Van Assen et al., 2019)", "", "out-of-home placement (long term)", "none", ("op basis van een beperkt aantal vergelijkingen met reguliere zorg", "op basis van een beperkt aantal vergelijkingen met reguliere zorg"), None),
    ("N-4-01", N, "4", 272, 272, "Er zijn in binnen- en buitenland", "met positieve resultaten.",
     "At home and abroad, few well-designed effect studies have yet been carried out into interventions for families with multiple and complex problems. Dutch research consists largely of (more practice-oriented) evaluation research. Various review studies find positive effects of interventions on problems of the children and on parenting stress of the parents. Because of the limited quality of the underlying studies, however, this picture is not unambiguous. Some interventions - in particular Families First and Multisystemic Therapy - have been studied more extensively with positive results.",
     "effect", "interventions for families with multiple and complex problems", "", "child problems; parenting stress", "positive", ("Vanwege de beperkte kwaliteit", "niet eenduidig"), None),
    ("N-4-02", N, "4", 278, 278, "Om gezinnen met meervoudige", "in de leefomgeving van het gezin zelf wordt aangeboden.",
     "To help families with multiple and complex problems, it is important to offer help in several domains at the same time to both parents and children. In addition, it is important that help is (varyingly) intensive and long-term, that the professional coordinates the help, offers both therapeutic and practical help, and that this help is offered in the family's own living environment.",
     "working factor", "help in several domains; (varyingly) intensive and long-term; coordination by the professional; therapeutic and practical help; in the living environment", "", "", "positive", ("is het van belang", "is het belangrijk"), None),
]


def flat(lines: list[str], a: int, b: int) -> str:
    return re.sub(r"\s+", " ", " ".join(l.strip() for l in lines[a - 1:b]).replace("*", "")).strip()


def cut(text: str, start: str, end: str, where: str) -> str:
    i = text.find(start)
    assert i >= 0, f"{where}: start {start!r} not found"
    j = text.find(end, i)
    assert j >= 0, f"{where}: end {end!r} not found after start"
    return text[i:j + len(end)]


def build(seeds: str) -> list[dict]:
    texts = {d: (Path(seeds) / f).read_text(encoding="utf-8").split("\n") for d, (f, _) in DOCS.items()}
    out = []
    for (fid, doc, sec, a, b, start, end, en, typ, factor, pop, outc, direction, strength, s_lines) in CLAIMS:
        lines = texts[doc]
        claim = cut(flat(lines, a, b), start, end, fid)
        s_txt, s_ln = "", ""
        if strength:
            sa, sb = map(int, (s_lines or f"{a}-{b}").split("-"))
            s_txt = cut(flat(lines, sa, sb), strength[0], strength[1], fid + " strength")
            s_ln = f"{sa}-{sb}"
        out.append({"finding_id": fid, "source_document": doc, "section": sec, "claim_nl": claim,
                    "claim_en_translation": en, "claim_type": typ, "intervention_or_factor": factor,
                    "population": pop, "outcome": outc, "direction": direction, "strength_nl": s_txt,
                    "strength_lines": s_ln, "first_line": a, "last_line": b,
                    "source": f"{DOCS[doc][1]}, section {sec}, seed {DOCS[doc][0]} lines {a}-{b}"})
    ids = [r["finding_id"] for r in out]
    assert len(ids) == len(set(ids))
    return out


def main(seeds: str, out: str) -> None:
    write_rows(out, F, build(seeds))


if __name__ == "__main__":
    main(*cli_args("data/findings/findings.csv"))
