"""Code systems and value sets, one table per clinical concept, as (system, code) pairs.

Every code below was marked VERIFIED in the project's terminology review (LOINC, SNOMED CT, ICD-10-CM and RxNorm,
each read in a public value set or standard; the source key follows the display: VSAC-* are VSAC expansions in
cqframework's eCQM content repositories, OHDSI the OHDSI PhenotypeLibrary, PEDSNET the PEDSnet variable dictionary,
TOP2000 Regenstrief's LOINC Top 2000+, LHC NLM's LOINC flowsheet, USCORE/IPS the HL7 examples). No code here is
matched on its display text. A code added later must be verified the same way and cited in its comment. A code that
has a name of its own (UPCR_SPOT_MASS, SLE_DISORDER, ...) is one the synthetic stories (stories/) are written with.
"""

from __future__ import annotations

from collections.abc import Mapping

from fhir_maps.domain import Agent, ConditionKind, LnClass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBS_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

ValueSet = Mapping[str, frozenset[str]]


def in_value_set(value_set: ValueSet, system: str | None, code: str | None) -> bool:
    """Returns True when (system, code) is a member of `value_set`."""
    return system is not None and code is not None and code in value_set.get(system, frozenset())


# --- Proteinuria -------------------------------------------------------------------------------------------------
UPCR_SPOT_MASS = "2890-2"  # Protein/Creatinine [Mass Ratio] in Urine -- the usual spot UPCR (VSAC-UPT, TOP2000 #499)
UPCR_SPOT_SI = "34366-5"  # Protein/Creatinine [Ratio] in Urine -- SI labs, often mg/mmol (VSAC-UPT, PEDSNET)
UPCR: ValueSet = {
    LOINC: frozenset(
        {
            UPCR_SPOT_MASS,
            UPCR_SPOT_SI,
            "13801-6",  # Protein/Creatinine [Mass Ratio] in 24 hour Urine (VSAC-UPT, PEDSNET)
            "40486-3",  # Protein/Creatinine [Ratio] in 24 hour Urine (VSAC-UPT, PEDSNET)
            "60678-0",  # Protein/Creatinine [Mass Ratio] in 12 hour Urine (VSAC-UPT, PEDSNET)
        }
    )
}
UPCR_24H_SAMPLE: ValueSet = {LOINC: frozenset({"13801-6", "40486-3"})}  # UPCR measured on a 24-h collection

# Protein [Mass/time] in 24 hour Urine (VSAC-UPT, TOP2000 #477). 21482-5 is a concentration and is NOT used.
PROTEIN_24H_MASS_RATE = "2889-4"
PROTEIN_24H: ValueSet = {LOINC: frozenset({PROTEIN_24H_MASS_RATE})}

# --- Kidney function ---------------------------------------------------------------------------------------------
CREATININE_MASS = "2160-0"  # Creatinine [Mass/volume] in Serum or Plasma -- US, mg/dL (VSAC-CR, USCORE-CR, IPS)
CREATININE_MOLES = "14682-9"  # Creatinine [Moles/volume] in Serum or Plasma -- SI, umol/L (VSAC-CR, TOP2000 #1)
CREATININE: ValueSet = {
    LOINC: frozenset(
        {
            CREATININE_MASS,
            CREATININE_MOLES,
            "38483-4",  # Creatinine [Mass/volume] in Blood (VSAC-CR)
            "59826-8",  # Creatinine [Moles/volume] in Blood (VSAC-CR)
            "77140-2",  # Creatinine [Moles/volume] in Serum, Plasma or Blood (VSAC-CR)
            "35203-9",  # Creatinine [Mass or Moles/volume] in Serum or Plasma (VSAC-CR)
        }
    )
}

EGFR_CKD_EPI_2021 = "98979-8"  # GFR/1.73 sq M.predicted by Creatinine-based formula (CKD-EPI 2021) (VSAC-EGFR)
EGFR: ValueSet = {
    LOINC: frozenset(
        {
            EGFR_CKD_EPI_2021,
            "98980-6",  # ... by Creatinine and Cystatin C-based formula (CKD-EPI 2021) (VSAC-EGFR)
            "62238-1",  # ... by Creatinine-based formula (CKD-EPI) [2009] (VSAC-EGFR)
            "88293-6",  # ... among blacks (CKD-EPI) [legacy] (VSAC-EGFR)
            "88294-4",  # ... among non-blacks (CKD-EPI) [legacy] (VSAC-EGFR)
            "48642-3",  # ... among non-blacks by Creatinine-based formula (MDRD) (VSAC-EGFR, TOP2000)
            "48643-1",  # ... among blacks by Creatinine-based formula (MDRD) (VSAC-EGFR, TOP2000)
            "50044-7",  # ... among females (MDRD) (VSAC-EGFR)
            "70969-1",  # ... among males (MDRD) (VSAC-EGFR)
            "77147-7",  # ... in Serum, Plasma or Blood by Creatinine-based formula (MDRD) (VSAC-EGFR)
            "33914-3",  # ... in Serum or Plasma by Creatinine-based formula (MDRD) -- common (TOP2000 #26, ZIETZM)
            "69405-9",  # GFR/1.73 sq M.predicted in Serum, Plasma or Blood (VSAC-EGFR)
            "50210-4",  # ... by Cystatin C-based formula (VSAC-EGFR)
            "94677-2",  # ... by Creatinine and Cystatin C-based formula (CKD-EPI) (VSAC-EGFR)
        }
    )
}

# --- Urinary sediment --------------------------------------------------------------------------------------------
URINE_RBC_HPF = "13945-1"  # Erythrocytes [#/area] in Urine sediment by Microscopy high power field (USCORE-RBC)
URINE_RBC: ValueSet = {LOINC: frozenset({URINE_RBC_HPF})}
RBC_CASTS_LPF = "5807-3"  # RBC casts [#/area] in Urine sediment by Microscopy low power field (LHC, TOP2000)
CELLULAR_CASTS: ValueSet = {
    LOINC: frozenset(
        {
            RBC_CASTS_LPF,
            "5820-6",  # WBC casts [#/area] in Urine sediment by Microscopy low power field (LHC, TOP2000)
            "38995-7",  # Mixed cellular casts [#/area] in Urine sediment by Microscopy low power field (LHC)
        }
    )
}
CASTS_UNTYPED: ValueSet = {
    LOINC: frozenset({"9842-6"})  # Casts [#/area] in Urine sediment by Microscopy low power field (LHC, TOP2000)
}

# --- Conditions --------------------------------------------------------------------------------------------------
SLE_DISORDER = "55464009"  # Systemic lupus erythematosus (disorder) (VSAC-LUPUS, OHDSI)
SLE: ValueSet = {
    SNOMED: frozenset(
        {
            SLE_DISORDER,
            "239887007",  # Systemic lupus erythematosus with organ/system involvement (disorder) (VSAC-LUPUS)
        }
    ),
    ICD10CM: frozenset(
        {
            "M32.0",  # Drug-induced systemic lupus erythematosus (VSAC-LUPUS)
            "M32.8",  # Other forms of systemic lupus erythematosus (VSAC-LUPUS)
            "M32.9",  # Systemic lupus erythematosus, unspecified (VSAC-LUPUS)
            "M32.10",  # SLE, organ or system involvement unspecified (VSAC-LUPUS)
            "M32.11",  # Endocarditis in SLE (VSAC-LUPUS)
            "M32.12",  # Pericarditis in SLE (VSAC-LUPUS)
            "M32.13",  # Lung involvement in SLE (VSAC-LUPUS)
            "M32.15",  # Tubulo-interstitial nephropathy in SLE -- not glomerulonephritis (VSAC-LUPUS)
            "M32.19",  # Other organ or system involvement in SLE (VSAC-LUPUS)
        }
    ),
}

LN_CLASS_CODES: dict[str, LnClass] = {
    # SNOMED names WHO classes; ISN/RPS class N is taken as WHO class N (clinical convention, noted in the
    # terminology review).
    "73286009": LnClass.I,  # SLE glomerulonephritis syndrome, WHO class I (VSAC-LUPUS)
    "4676006": LnClass.II,  # ..., WHO class II (VSAC-LUPUS)
    "76521009": LnClass.III,  # ..., WHO class III (VSAC-LUPUS)
    "36402006": LnClass.IV,  # ..., WHO class IV (VSAC-LUPUS)
    "52042003": LnClass.V,  # ..., WHO class V (VSAC-LUPUS)
    "11013005": LnClass.VI,  # ..., WHO class VI (VSAC-LUPUS)
}

# The other way round, for writers of synthetic data (stories/): the SNOMED code of each class.
LN_CLASS_SNOMED: dict[LnClass, str] = {cls: code for code, cls in LN_CLASS_CODES.items()}

LN_DISORDER = "68815009"  # Systemic lupus erythematosus glomerulonephritis syndrome (disorder) (VSAC-LUPUS, OHDSI)
LUPUS_NEPHRITIS: ValueSet = {
    SNOMED: frozenset(
        {
            LN_DISORDER,
            "308751000119106",  # Glomerular disease due to systemic lupus erythematosus (OHDSI, PEDSNET)
            "197608009",  # (Nephrotic syndrome in SLE) or (lupus nephritis) (PEDSNET)
            "295111000119108",  # Nephrotic syndrome co-occurrent and due to SLE (PEDSNET)
            *LN_CLASS_CODES,
        }
    ),
    ICD10CM: frozenset({"M32.14"}),  # Glomerular disease in systemic lupus erythematosus (VSAC-LUPUS, PEDSNET)
}

TMA_DISORDER = "126729006"  # Thrombotic microangiopathy (OHDSI)
TMA: ValueSet = {
    SNOMED: frozenset({TMA_DISORDER}),
    ICD10CM: frozenset(
        {
            "M31.10",  # Thrombotic microangiopathy, unspecified (VSAC-AKI)
            "M31.11",  # Hematopoietic stem cell transplantation-associated TMA (VSAC-AKI)
            "M31.19",  # Other thrombotic microangiopathy (VSAC-AKI)
        }
    ),
}

APS_DISORDER = "26843008"  # Antiphospholipid syndrome (OHDSI, PEDSNET)
APS: ValueSet = {
    SNOMED: frozenset(
        {
            APS_DISORDER,
            "402865003",  # Systemic lupus erythematosus-associated antiphospholipid syndrome (OHDSI, PEDSNET)
        }
    ),
    ICD10CM: frozenset(
        {
            "D68.61",  # Antiphospholipid syndrome (VSAC-BLEED, PEDSNET)
            "D68.62",  # Lupus anticoagulant syndrome (VSAC-BLEED, PEDSNET)
        }
    ),
}

# Pregnancy: the codes EHRs commonly send for a current pregnancy, each a member of VSAC "Pregnancy"
# (OID 2.16.840.1.113883.3.526.3.378, version 20210218; VSAC-PREG-2024 = cqframework/ecqm-content-qicore-2024
# @9ebd48ff : input/vocabulary/valueset/external/valueset-2.16.840.1.113883.3.526.3.378.json, displays as stated
# there). The full set holds 1,987 codes (1,923 ICD-10-CM, 64 SNOMED CT), most of them obstetric complications by
# trimester; those are left out so that the prefetch query stays under about 2,000 characters
# (hooks/prefetch.PREGNANCY_CONDITIONS): a pregnancy coded only by a complication is a known gap.
PREGNANCY_FINDING = "77386006"  # Pregnancy (finding) (VSAC-PREG)
PREGNANCY: ValueSet = {
    SNOMED: frozenset(
        {
            PREGNANCY_FINDING,
            "72892002",  # Normal pregnancy (finding) (VSAC-PREG-2024)
            "47200007",  # High risk pregnancy (finding) (VSAC-PREG-2024)
            "16356006",  # Multiple pregnancy (finding) (VSAC-PREG-2024)
            "65147003",  # Twin pregnancy (finding) (VSAC-PREG-2024)
            "169560008",  # Pregnant - urine test confirms (finding) (VSAC-PREG-2024)
            "169561007",  # Pregnant - blood test confirms (finding) (VSAC-PREG-2024)
            "237240001",  # Teenage pregnancy (finding) (VSAC-PREG-2024)
        }
    ),
    ICD10CM: frozenset(
        {
            "Z33.1",  # Pregnant state, incidental (VSAC-PREG)
            "Z34.00",  # Encounter for supervision of normal first pregnancy, unspecified trimester (VSAC-PREG-2024)
            "Z34.01",  # Encounter for supervision of normal first pregnancy, first trimester (VSAC-PREG-2024)
            "Z34.02",  # Encounter for supervision of normal first pregnancy, second trimester (VSAC-PREG-2024)
            "Z34.03",  # Encounter for supervision of normal first pregnancy, third trimester (VSAC-PREG-2024)
            "Z34.80",  # Encounter for supervision of other normal pregnancy, unspecified trimester (VSAC-PREG-2024)
            "Z34.81",  # Encounter for supervision of other normal pregnancy, first trimester (VSAC-PREG-2024)
            "Z34.82",  # Encounter for supervision of other normal pregnancy, second trimester (VSAC-PREG-2024)
            "Z34.83",  # Encounter for supervision of other normal pregnancy, third trimester (VSAC-PREG-2024)
            "Z34.90",  # Encounter for supervision of normal pregnancy, unspecified, unspecified trimester (idem)
            "Z34.91",  # Encounter for supervision of normal pregnancy, unspecified, first trimester (VSAC-PREG-2024)
            "Z34.92",  # Encounter for supervision of normal pregnancy, unspecified, second trimester (idem)
            "Z34.93",  # Encounter for supervision of normal pregnancy, unspecified, third trimester (VSAC-PREG-2024)
            "O09.90",  # Supervision of high risk pregnancy, unspecified, unspecified trimester (VSAC-PREG)
            "O09.91",  # Supervision of high risk pregnancy, unspecified, first trimester (VSAC-PREG-2024)
            "O09.92",  # Supervision of high risk pregnancy, unspecified, second trimester (VSAC-PREG-2024)
            "O09.93",  # Supervision of high risk pregnancy, unspecified, third trimester (VSAC-PREG-2024)
            "O09.891",  # Supervision of other high risk pregnancies, first trimester (VSAC-PREG-2024)
            "O09.892",  # Supervision of other high risk pregnancies, second trimester (VSAC-PREG-2024)
            "O09.893",  # Supervision of other high risk pregnancies, third trimester (VSAC-PREG-2024)
            "O09.899",  # Supervision of other high risk pregnancies, unspecified trimester (VSAC-PREG-2024)
            "O26.891",  # Other specified pregnancy related conditions, first trimester (VSAC-PREG-2024)
            "O26.892",  # Other specified pregnancy related conditions, second trimester (VSAC-PREG-2024)
            "O26.893",  # Other specified pregnancy related conditions, third trimester (VSAC-PREG-2024)
            "O26.899",  # Other specified pregnancy related conditions, unspecified trimester (VSAC-PREG-2024)
        }
    ),
}

# Active serious infection: Santacruz 2023's "severe infection at the same time as the renal flare" (extracorporeal
# therapy section). Each code verified in one of these sources (issue 10 section 5; FHIR matches exact codes, so the
# common specific codes EHRs send are listed beside their parents):
#   OHDSI-SEPSIS = OHDSI/PhenotypeLibrary @40106e4e : inst/cohorts/411.json ("[P] Sepsis or Septic Shock", concept
#                  set "Sepsis"; 91302008 also in 1073.json "Serious Infections")
#   OHDSI-SI     = OHDSI/PhenotypeLibrary @40106e4e : inst/cohorts/1073.json, concept sets 12 "Serious Infections",
#                  13 "Opportunistic Infections with tuberculosis" and 14 "Other infections of interest"
#   OHDSI-CMV    = OHDSI/PhenotypeLibrary @40106e4e : inst/cohorts/1072.json, concept set "CMV Diagnosis"
#   VSAC-SEPSIS  = cqframework/ecqm-content-qicore-2024 @9ebd48ff : input/vocabulary/valueset/external/
#                  valueset-2.16.840.1.113762.1.4.1029.237.json ("Sepsis", v20240210)
#   VSAC-SMM     = same repository, valueset-2.16.840.1.113762.1.4.1029.255.json ("Severe Maternal Morbidity
#                  Diagnoses", v20220127): the A40/A41 sepsis codes
#   VSAC-RESP    = same repository, valueset-2.16.840.1.113883.3.464.1003.102.12.1017.json ("Competing Conditions
#                  for Respiratory Conditions", v20210220): pneumonia, Pneumocystis pneumonia, CMV disease
#   VSAC-TB      = same repository, valueset-2.16.840.1.113762.1.4.1151.56.json ("Active Tuberculosis for Urology
#                  Care", v20180406)
#   VSAC-COVID   = same repository, valueset-2.16.840.1.113762.1.4.1029.373.json ("COVID 19 Confirmed",
#                  v20220127): active COVID-19 and its pneumonia
# Not included because no authoritative source was read for them: the ICD-10-CM codes for CMV disease (B25.-),
# pneumocystosis (B59: in no value set of the qicore-2024 repository), aspergillosis (B44.-) and bacteraemia
# (R78.81). Their SNOMED codes are included.
SEPSIS_DISORDER = "91302008"  # Sepsis (OHDSI-SEPSIS)
PNEUMONIA_DISORDER = "233604007"  # Pneumonia (OHDSI-SI)
ACTIVE_INFECTION: ValueSet = {
    SNOMED: frozenset(
        {
            SEPSIS_DISORDER,
            "76571007",  # Septic shock (OHDSI-SEPSIS)
            "5758002",  # Bacteremia (OHDSI-SI)
            PNEUMONIA_DISORDER,
            "53084003",  # Bacterial pneumonia (OHDSI-SI)
            "312342009",  # Infective pneumonia (OHDSI-SI)
            "233607000",  # Pneumococcal pneumonia (OHDSI-SI)
            "415125002",  # Pneumocystosis jirovecii pneumonia (VSAC-RESP)
            "56717001",  # Tuberculosis (OHDSI-SI)
            "154283005",  # Pulmonary tuberculosis (OHDSI-SI)
            "47604008",  # Miliary tuberculosis (OHDSI-SI)
            "28944009",  # Cytomegalovirus infection (OHDSI-CMV)
            "235749000",  # Cytomegaloviral colitis (VSAC-RESP)
            "65553006",  # Aspergillosis (OHDSI-SI)
            "3214003",  # Invasive pulmonary aspergillosis (OHDSI-SI)
            "70572005",  # Invasive candidiasis (OHDSI-SI)
            "42386007",  # Cryptococcosis (OHDSI-SI)
            "14232007",  # Cryptococcal meningitis (OHDSI-SI)
            "95883001",  # Bacterial meningitis (OHDSI-SI)
            "56819008",  # Endocarditis (OHDSI-SI)
            "233850007",  # Infective endocarditis (OHDSI-SI)
            "45816000",  # Pyelonephritis (OHDSI-SI)
            "36689008",  # Acute pyelonephritis (OHDSI-SI)
            "60168000",  # Osteomyelitis (OHDSI-SI)
            "840539006",  # Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder) (VSAC-COVID)
        }
    ),
    ICD10CM: frozenset(
        {
            "A41.9",  # Sepsis, unspecified organism (VSAC-SEPSIS)
            "R65.20",  # Severe sepsis without septic shock (VSAC-SEPSIS)
            "R65.21",  # Severe sepsis with septic shock (VSAC-SEPSIS)
            "A40.9",  # Streptococcal sepsis, unspecified (VSAC-SMM)
            "A41.01",  # Sepsis due to Methicillin susceptible Staphylococcus aureus (VSAC-SMM)
            "A41.02",  # Sepsis due to Methicillin resistant Staphylococcus aureus (VSAC-SMM)
            "A41.50",  # Gram-negative sepsis, unspecified (VSAC-SMM)
            "A41.51",  # Sepsis due to Escherichia coli [E. coli] (VSAC-SMM)
            "A41.89",  # Other specified sepsis (VSAC-SMM)
            "J13",  # Pneumonia due to Streptococcus pneumoniae (VSAC-RESP)
            "J15.9",  # Unspecified bacterial pneumonia (VSAC-RESP)
            "J18.0",  # Bronchopneumonia, unspecified organism (VSAC-RESP)
            "J18.1",  # Lobar pneumonia, unspecified organism (VSAC-RESP)
            "J18.9",  # Pneumonia, unspecified organism (VSAC-RESP)
            "A15.0",  # Tuberculosis of lung (VSAC-TB)
            "A15.9",  # Respiratory tuberculosis unspecified (VSAC-TB)
            "N10",  # Acute pyelonephritis (VSAC-RESP)
            "U07.1",  # COVID-19 (VSAC-COVID)
            "J12.82",  # Pneumonia due to coronavirus disease 2019 (VSAC-COVID)
        }
    ),
}

CONDITION_VALUE_SETS: dict[ConditionKind, ValueSet] = {
    ConditionKind.LUPUS_NEPHRITIS: LUPUS_NEPHRITIS,
    ConditionKind.SLE: SLE,
    ConditionKind.TMA: TMA,
    ConditionKind.APS: APS,
    ConditionKind.PREGNANCY: PREGNANCY,
    ConditionKind.ACTIVE_INFECTION: ACTIVE_INFECTION,
}

# --- Orders the cards may propose (ServiceRequest.code): (system, code, display as the source states it) ----------
OrderCode = tuple[str, str, str]
# PEDSnet/Variable-Dictionary @fad293dd : procedures/px_2023_04_KidneyBiopsy_V1.csv ("Kidney biopsy", OMOP concept
# 4217034, vocabulary SNOMED); Verhoeff check digit valid. Used for a repeat biopsy, whatever the technique.
KIDNEY_BIOPSY: OrderCode = (SNOMED, "7246002", "Kidney biopsy")
# Calcineurin-inhibitor levels in whole blood: Regenstrief LOINC Top 2000+ (SI, 2012), read in hl7ch/ch-lab-order
# @5ac4ab2e : input/fsh/instances/catalog/top_2000.fsh (11253-2 is entry #215, 3520-4 entry #464); mod-10 check
# digits valid. Neither code is trough-specific: the order's text says "trough".
CNI_LEVEL_TESTS: dict[Agent, OrderCode] = {
    Agent.TACROLIMUS: (LOINC, "11253-2", "Tacrolimus [Mass/volume] in Blood"),
    Agent.CYCLOSPORINE: (LOINC, "3520-4", "Cyclosporine [Mass/volume] in Blood"),
}

# --- Medications: RxNorm ingredient (TTY IN) codes -----------------------------------------------------------------
# Products (SCD/SBD/...) map to these through fhir_maps/data/rxnorm_products.tsv; names are matched as a last resort.
INGREDIENTS: dict[str, Agent] = {
    "3002": Agent.CYCLOPHOSPHAMIDE,  # cyclophosphamide (OHDSI, PEDSNET)
    "68149": Agent.MYCOPHENOLATE_MOFETIL,  # mycophenolate mofetil (OHDSI, PEDSNET)
    # mycophenolic acid: no IN code verified; its SCDs 485020/485023 are in the product table.
    "121191": Agent.RITUXIMAB,  # rituximab (OHDSI, PEDSNET)
    "2105824": Agent.RITUXIMAB,  # rituximab-abbs (CIBMTR value set)
    "2273510": Agent.RITUXIMAB,  # rituximab-pvvr (CIBMTR value set)
    "2472325": Agent.RITUXIMAB,  # rituximab-arrx (CIBMTR value set)
    "1092437": Agent.BELIMUMAB,  # belimumab (OHDSI)
    "974779": Agent.OBINUTUZUMAB,  # obinutuzumab (OHDSI)
    "712566": Agent.OFATUMUMAB,  # ofatumumab (OHDSI)
    "42316": Agent.TACROLIMUS,  # tacrolimus (PEDSNET)
    "3008": Agent.CYCLOSPORINE,  # cyclosporine (PEDSNET)
    # voclosporin, anifrolumab, immune globulin: no verified code -> recognised by name only.
    "1256": Agent.AZATHIOPRINE,  # azathioprine (OHDSI, PEDSNET)
    "27169": Agent.LEFLUNOMIDE,  # leflunomide (OHDSI)
    "5521": Agent.HYDROXYCHLOROQUINE,  # hydroxychloroquine (OHDSI)
    "8640": Agent.GLUCOCORTICOID,  # prednisone (OHDSI, PEDSNET)
    "8638": Agent.GLUCOCORTICOID,  # prednisolone (OHDSI, PEDSNET)
    "6902": Agent.GLUCOCORTICOID,  # methylprednisolone (OHDSI, PEDSNET)
    "29046": Agent.RAAS_BLOCKER,  # lisinopril (VSAC-ACEARB)
    "3827": Agent.RAAS_BLOCKER,  # enalapril (VSAC-ACEARB)
    "35296": Agent.RAAS_BLOCKER,  # ramipril (VSAC-ACEARB)
    "1998": Agent.RAAS_BLOCKER,  # captopril (VSAC-ACEARB)
    "18867": Agent.RAAS_BLOCKER,  # benazepril (VSAC-ACEARB)
    "52175": Agent.RAAS_BLOCKER,  # losartan (VSAC-ACEARB)
    "69749": Agent.RAAS_BLOCKER,  # valsartan (VSAC-ACEARB)
    "83818": Agent.RAAS_BLOCKER,  # irbesartan (VSAC-ACEARB)
    "214354": Agent.RAAS_BLOCKER,  # candesartan (VSAC-ACEARB)
    "73494": Agent.RAAS_BLOCKER,  # telmisartan (VSAC-ACEARB)
    "321064": Agent.RAAS_BLOCKER,  # olmesartan (VSAC-ACEARB)
    "1656328": Agent.RAAS_BLOCKER,  # sacubitril -- ARNI component (VSAC-ACEARB)
    "1488564": Agent.SGLT2_INHIBITOR,  # dapagliflozin (OHDSI)
    "1545653": Agent.SGLT2_INHIBITOR,  # empagliflozin (OHDSI)
}

# Ingredient names for the last-resort, word-boundary name match (reported as "matched by name"). Longest names are
# tried first so that "methylprednisolone" wins over "prednisolone"; word boundaries keep "prednisolone" from
# matching inside "methylprednisolone" in the first place.
INGREDIENT_NAMES: dict[str, Agent] = {
    "cyclophosphamide": Agent.CYCLOPHOSPHAMIDE,
    "mycophenolate mofetil": Agent.MYCOPHENOLATE_MOFETIL,
    "mycophenolate sodium": Agent.MYCOPHENOLIC_ACID,
    "mycophenolic acid": Agent.MYCOPHENOLIC_ACID,
    "rituximab": Agent.RITUXIMAB,  # also rituximab-abbs/-pvvr/-arrx: the hyphen is a word boundary
    "obinutuzumab": Agent.OBINUTUZUMAB,
    "ofatumumab": Agent.OFATUMUMAB,
    "belimumab": Agent.BELIMUMAB,
    "tacrolimus": Agent.TACROLIMUS,
    "cyclosporine": Agent.CYCLOSPORINE,  # also "cyclosporine, modified"
    "ciclosporin": Agent.CYCLOSPORINE,
    "voclosporin": Agent.VOCLOSPORIN,
    "anifrolumab": Agent.ANIFROLUMAB,
    "immune globulin": Agent.IMMUNE_GLOBULIN,
    "immunoglobulin": Agent.IMMUNE_GLOBULIN,
    "azathioprine": Agent.AZATHIOPRINE,
    "leflunomide": Agent.LEFLUNOMIDE,
    "hydroxychloroquine": Agent.HYDROXYCHLOROQUINE,
    "prednisone": Agent.GLUCOCORTICOID,
    "prednisolone": Agent.GLUCOCORTICOID,
    "methylprednisolone": Agent.GLUCOCORTICOID,
    "lisinopril": Agent.RAAS_BLOCKER,
    "enalapril": Agent.RAAS_BLOCKER,
    "ramipril": Agent.RAAS_BLOCKER,
    "captopril": Agent.RAAS_BLOCKER,
    "benazepril": Agent.RAAS_BLOCKER,
    "losartan": Agent.RAAS_BLOCKER,
    "valsartan": Agent.RAAS_BLOCKER,
    "irbesartan": Agent.RAAS_BLOCKER,
    "candesartan": Agent.RAAS_BLOCKER,
    "telmisartan": Agent.RAAS_BLOCKER,
    "olmesartan": Agent.RAAS_BLOCKER,
    "dapagliflozin": Agent.SGLT2_INHIBITOR,
    "empagliflozin": Agent.SGLT2_INHIBITOR,
}

# --- Status and flag codes (FHIR R4 required bindings, read in the R4 spec's code system pages) ----------------------
# A coding with no system is accepted for these: the element's binding is required, so the code alone is unambiguous.
CLINICAL_ACTIVE: ValueSet = {CONDITION_CLINICAL: frozenset({"active", "recurrence", "relapse"})}
CLINICAL_INACTIVE: ValueSet = {CONDITION_CLINICAL: frozenset({"inactive", "remission", "resolved"})}
# Only these two make a Condition unusable (response-model.md §1); provisional/differential/unconfirmed are kept.
VERIFICATION_EXCLUDED: ValueSet = {CONDITION_VER_STATUS: frozenset({"refuted", "entered-in-error"})}

INTERPRETATION_NORMAL: ValueSet = {OBS_INTERPRETATION: frozenset({"N"})}  # Normal
INTERPRETATION_ABNORMAL: ValueSet = {
    OBS_INTERPRETATION: frozenset(
        {
            "A",  # Abnormal
            "AA",  # Critical abnormal
            "H",  # High
            "HH",  # Critical high
            "L",  # Low
            "LL",  # Critical low
        }
    )
}
