"""Companion package of the book *Recurrent Networks and LSTMs, Hands-On*.

``import lstm_companion as lc`` gives the whole public API as flat names
(``lc.LSTMScratch``, ``lc.train_lm``, ``lc.load_polarity``, ...). Each name has
one home, in a layout that follows the data flow of every chapter:

- :mod:`lstm_companion.runtime` – device, seeding, environment variables,
  folders and addresses, atomic writes, file hashes: what every other module
  may use.
- :mod:`lstm_companion.data` – checked downloads of the data files and the
  committed results, vocabularies and batching, each data set's loader, the
  synthetic tasks.
- :mod:`lstm_companion.models` – the from-scratch and fast recurrent layers,
  attention, encoder-decoders, LSTM variants, and the small models built from
  them. Models never import training code.
- :mod:`lstm_companion.training` – the one training loop (:func:`fit`), its
  wrappers for each kind of data, and the load-or-train cache.
- :mod:`lstm_companion.measure` – metrics and baselines, BLEU, gradient
  diagnostics, interpretability, the speed benchmark.
- :mod:`lstm_companion.recipes` – each chapter's cached experiments: the
  character LMs, sentiment, the pretrained translator, the ablations.
- :mod:`lstm_companion.plots` – the chapters' general figures (chapters 1-4
  and 7); a figure tied to one measurement lives with it in ``measure``.

``lstm_companion._checks`` holds the argument checks every module shares; it
is not part of the public API. Each module's docstring says what it holds,
which chapters use it and where its neighbours live. ``CONTRIBUTING.md`` at
the repository's root says how to add a chapter, a data set or a model
variant.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lstm-companion")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from . import data, measure, models, recipes, training
from .data.batching import (
    check_lengths,
    last_valid,
    length_mask,
    pad_batch,
    seq_data_iter_random,
    seq_data_iter_sequential,
)
from .data.digits import (
    DigitSplit,
    load_digit_rows,
)
from .data.download import (
    DATA_FILES,
    POLARITY_URL,
    RESULT_FILES,
    SERIES_URL,
    ChecksumError,
    DataFile,
    fetch,
    find_results,
)
from .data.polarity import (
    PAD_TOKEN,
    PolarityData,
    PolaritySplit,
    encode,
    load_polarity,
    read_polarity,
)
from .data.series import (
    SERIES_DIR,
    ForecastSplit,
    ForecastWindows,
    TimeSeries,
    calendar_features,
    forecast_windows,
    load_airpassengers,
    load_taylor,
    log_seasonal_difference,
    rolling_origins,
    undo_log_seasonal_difference,
)
from .data.sunspots import (
    Standardizer,
    load_sunspots,
    sliding_windows,
)
from .data.synthetic import (
    SUBJECT_TOKENS,
    adding_baseline_mse,
    adding_problem,
    agreement_task,
    lookahead_bound,
    lookahead_task,
    mqar_task,
    parity_task,
    sign_of_sum_task,
)
from .data.tatoeba import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    SPECIALS,
    TranslationConfig,
    TranslationData,
    decode_ids,
    encode_batch,
    load_translation,
    preprocess_nmt,
    read_fra_eng,
    tokenize_nmt,
)
from .data.text import (
    Vocab,
    load_time_machine,
    preprocess_time_machine,
    split_corpus,
    tokenize,
)
from .data.words import (
    EOS_TOKEN,
    WordCorpus,
    batchify,
    build_word_vocab,
    english_sentences,
    load_word_corpus,
)
from .measure.baselines import (
    BaselineResult,
    bag_of_ngrams_baseline,
    fit_autoregression,
    logistic_regression_accuracy,
    predict_autoregression,
    uniform_perplexity,
    unigram_perplexity,
)
from .measure.benchmark import (
    compare_ratio,
    find_speed_results,
    lstm_matmul_flops,
    lstm_matmul_rates,
    lstm_matmul_shapes,
    lstm_roofline_ms,
    matmul_dtypes,
    matmul_gflops,
    op_counts,
    plot_speed_ladder,
    profile_step,
    profile_table,
    summarize_times,
    time_interleaved,
    train_step,
)
from .measure.bleu import (
    Sentence,
    bleu_by_length,
    bleu_stats,
    corpus_bleu,
    detokenize,
    evaluate_bleu,
    ngrams,
    paired_bootstrap_bleu,
    sacre_bleu,
    sentence_bleu,
)
from .measure.diagnostics import (
    LossFn,
    LSTMStepFn,
    StepFn,
    geometric_rate,
    largest_singular_value,
    lstm_state_grad_norms,
    scaled_orthogonal,
    spectral_radius,
    state_grad_norms,
)
from .measure.forecasting import (
    StatForecast,
    airline_forecast,
    attention_by_lag,
    fit_linear_direct,
    gaussian_interval,
    holt_winters_forecast,
    interval_coverage,
    mase,
    mstl_forecast,
    naive_forecast,
    origin_rmse,
    predict_linear_direct,
    seasonal_naive_forecast,
    seasonal_naive_scale,
    smape,
)
from .measure.interpret import (
    POSITION_CLASSES,
    TRACE_KEYS,
    ArrayLike,
    best_units,
    cell_activations,
    char_indicator,
    char_only_ceiling,
    colored_text_html,
    correlate_units,
    gate_statistics,
    in_word,
    is_vowel,
    is_word_start,
    plot_colored_text,
    position_classes,
    position_in_word,
    shuffled_control,
    steps_to_word_end,
    word_spans,
)
from .measure.metrics import (
    accuracy,
    causal_perplexity,
    mae,
    mean_squared_error,
    padded_accuracy,
    paired_bootstrap,
    rerun_check,
    rmse,
    tagging_accuracy,
    window_perplexity,
)
from .measure.ngram import (
    KneserNeyLM,
)
from .models.attention import (
    AdditiveAttention,
    Attention,
    CausalTransformer,
    DotProductAttention,
    GeneralAttention,
    lengths_to_mask,
    make_attention,
    masked_softmax,
)
from .models.bilstm import (
    DIRECTIONS,
    BiLSTMScratch,
    bilstm_num_params,
    matching_num_hiddens,
    reverse_padded,
)
from .models.classifier import (
    POOLINGS,
    SentimentClassifier,
    attention_weights,
    predict_proba,
    sentiment_accuracy,
)
from .models.cpp_lstm import (
    CPP_DTYPES,
    NO_CPP_ENV,
    CppLSTM,
    cpp_lstm,
    cpp_lstm_available,
    cpp_lstm_source,
)
from .models.fast_lstm import (
    BPTTLSTM,
    IMPLEMENTATIONS,
    LADDER,
    CompiledLSTM,
    FastLSTMBase,
    FusedLSTM,
    LSTMFunction,
    PremultipliedLSTM,
    ScriptedLSTM,
    make_lstm,
    torch_layout_grads,
)
from .models.forecaster import (
    LSTMForecaster,
    gaussian_nll,
)
from .models.gru import (
    GRU_BLOCKS,
    GRUCellScratch,
    GRUScratch,
    gru_num_params,
    gru_step,
)
from .models.heads import (
    LastStateModel,
    PaddedSequenceModel,
    Tagger,
)
from .models.initialization import (
    ScratchRecurrent,
    uniform_parameter,
)
from .models.lm import (
    RNNLM,
    CharLSTM,
    generate,
    generate_causal,
)
from .models.lstm import (
    GATES,
    TORCH_GATE_ORDER,
    LSTMCellScratch,
    LSTMScratch,
    check_one_layer_lstm,
    copy_fused_from_torch,
    fused_to_torch,
    lstm_num_params,
    set_forget_bias,
)
from .models.rnn import (
    RNNScratch,
    bptt_tanh,
    rnn_step,
)
from .models.scan import (
    SCAN_METHODS,
    MinGRU,
    linear_scan,
    scan_blelloch,
    scan_log,
    scan_loop,
)
from .models.seq2seq import (
    BahdanauDecoder,
    LuongDecoder,
    Memory,
    PlainDecoder,
    Seq2Seq,
    Seq2SeqConfig,
    Seq2SeqEncoder,
    Translation,
    build_seq2seq,
    greedy_decode,
    translate,
)
from .models.state import (
    LSTMState,
    State,
    detach_state,
)
from .models.variants import (
    VARIANT_BLOCKS,
    VARIANTS,
    LSTMVariant,
)
from .models.word_lm import (
    LockedDropout,
    WeightDrop,
    WordLM,
    WordLMConfig,
    embedding_dropout,
)
from .models.xlstm import (
    MLSTM_FORMS,
    TAGGER_CORES,
    MLSTMScratch,
    SLSTMScratch,
    TokenTagger,
    matched_hidden,
    mlstm_chunkwise,
    mlstm_parallel,
    mlstm_recurrent,
    slstm_scan,
    tagger_num_params,
)
from .plots import (
    plot_accuracy_vs_distance,
    plot_attention,
    plot_history,
    plot_perplexities,
    plot_step_series,
)
from .recipes.ablations import (
    ABLATION_SETTINGS,
    ABLATION_TASKS,
    ABLATIONS,
    AblationData,
    ablation_data,
    ablation_model,
    evaluate_ablation,
    load_ablation_table,
    make_core,
    run_ablation,
    train_ablation,
)
from .recipes.char_lm import (
    CHAR_LM_KINDS,
    CHAR_LM_SETTINGS,
    TrainedCharLM,
    char_lm,
    char_lm_config,
)
from .recipes.forecasting import (
    AIR_SETUP,
    FORECASTERS,
    TAYLOR_SETUP,
    TRANSFORMS,
    ForecastData,
    cached_forecaster,
    forecast_data,
    forecast_targets,
    forecaster_scores,
    lstm_forecasts,
)
from .recipes.sentiment import (
    SENTIMENT_SETTINGS,
    load_or_train_classifier,
    make_classifier,
    sentiment_config,
)
from .recipes.translation import (
    load_pretrained,
    save_pretrained,
)
from .recipes.xlstm_tasks import (
    LM_CORES,
    LM_SETTINGS,
    MQAR_SETTINGS,
    PARITY_SETTINGS,
    char_lm_test_perplexity,
    load_scan_speed,
    load_xlstm_lm,
    load_xlstm_tasks,
    run_mqar,
    run_parity,
    train_char_lm,
)
from .runtime import (
    CACHE_ENV,
    DATA_ENV,
    MIRROR_ENV,
    REPOSITORY_URL,
    RESULTS_ENV,
    atomic_write,
    cache_dir,
    cpu_model,
    data_dir,
    file_hash,
    fit_threads,
    get_device,
    machine_summary,
    mirror_url,
    model_device,
    others_running,
    release_files_url,
    same_machine,
    seed_everything,
    usable_cores,
)
from .training.checkpoint import (
    cache_key,
    code_hash,
    load_model,
    load_or_train,
    save_model,
)
from .training.distributed import (
    DDP_TRAIN_MODULE,
    DistContext,
    ShardedStreamSampler,
    TrainingState,
    capture_rng_state,
    carry_state,
    check_rng_state,
    cleanup_distributed,
    evaluate_stream_perplexity,
    init_distributed,
    launch_command,
    lm_autocast,
    lm_train_step,
    load_training_state,
    max_abs_difference,
    onednn_bf16_supported,
    restore_rng_state,
    save_training_state,
    shard_stream,
    state_dict_sha256,
    unwrap_model,
)
from .training.forecasting import (
    ForecastConfig,
    predict_forecaster,
    train_forecaster,
)
from .training.lm import (
    TrainConfig,
    epochs_before_drop,
    evaluate_perplexity,
    train_lm,
    train_lm_with_lr_drop,
)
from .training.loop import (
    OPTIMIZERS,
    FitConfig,
    History,
    clip_gradients,
    fit,
    grad_norm,
    make_optimizer,
)
from .training.supervised import (
    SentimentConfig,
    Seq2SeqTrainConfig,
    TaggerConfig,
    TaskConfig,
    epoch_batches,
    sequence_loss,
    train_classifier,
    train_on_task,
    train_padded,
    train_seq2seq,
    train_tagger,
    update_batches,
)
from .training.word_lm import (
    WORD_LM_CORPUS,
    WORD_LM_REGULARISERS,
    WORD_LM_TRAIN,
    cached_word_lm,
    train_word_lm,
    word_lm_settings,
)

__all__ = sorted(name for name in dir() if not name.startswith("_") and name not in {"PackageNotFoundError", "version"})
__all__ += ["__version__"]
